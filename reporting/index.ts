export * from './names.js';
export * from './figures.js';
export * from './charts.js';
export * from './html.js';
export * from './run.js';
