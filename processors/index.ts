export * from './windows.js';
export * from './eventTime.js';
export * from './employeeWindow.js';
export * from './partitionTask.js';
export * from './assigner.js';
export * from './metrics.js';
export * from './pipeline.js';
export * from './testDriver.js';
