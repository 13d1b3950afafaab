export * from './definitions.js';
export * from './kafka.js';
export * from './kafkaRequestQueue.js';
export * from './registry.js';
export * from './codec.js';
export * from './deadLetters.js';
