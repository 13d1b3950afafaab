export * from './definition.js';
export * from './builtin.js';
export * from './oee.js';
export * from './catalog.js';
export * from './extensions.js';
