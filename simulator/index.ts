export * from './plant.js';
export * from './day.js';
export * from './expected.js';
export * from './simulation.js';
export * from './output.js';
export * from './produce.js';
export * from './compare.js';
export { Random, roundTo } from './random.js';
export * from './run.js';
