export * from './errors.js';
export * from './config.js';
export * from './time.js';
export * from './logger.js';
export * from './paths.js';
export * from './serialize.js';
export * from './secrets.js';
