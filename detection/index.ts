export * from './rules.js';
export * from './evaluate.js';
export * from './alerts.js';
export * from './runner.js';
