export * from './client.js';
export * from './migrate.js';
export * from './metricsSink.js';
export * from './time.js';
