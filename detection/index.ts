export * from './reports.js';
export * from './rules.js';
export * from './coverage.js';
export * from './spread.js';
export * from './sequential.js';
export * from './evaluate.js';
export * from './harness.js';
export * from './runner.js';
