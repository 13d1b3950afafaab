export * from './client.js';
export * from './migrate.js';
export * from './metricsSink.js';
export * from './deadLetterSink.js';
export * from './scoring.js';
export * from './retry.js';
export * from './time.js';
