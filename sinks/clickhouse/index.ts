export * from './client.js';
export * from './migrate.js';
export * from './windowStore.js';
export * from './queries/windowMetrics.js';
export * from './queries/deadLetters.js';
export * from './queries/scores.js';
export * from './queries/scoringModels.js';
export * from './time.js';
