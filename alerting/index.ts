export * from './rules.js';
export * from './evaluator.js';
export * from './inputs.js';
export * from './targets.js';
export * from './delivery.js';
export * from './service.js';
export * from './run.js';
