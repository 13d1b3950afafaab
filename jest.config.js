// Two projects: `unit` needs no services; `integration` starts (or finds) the real
// Kafka, schema registry and ClickHouse in its global setup.
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  // Node.js releases fetched by scripts/node.mjs: not part of the project's modules.
  modulePathIgnorePatterns: ['<rootDir>/.tools/'],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Compiled by `npm run build` (the pretest step): global setup runs outside
      // jest's module system, so it loads the plain JavaScript.
      globalSetup: '<rootDir>/dist/test/integration/setup/globalSetup.js',
      globalTeardown: '<rootDir>/dist/test/integration/setup/globalTeardown.js',
      slowTestThreshold: 60,
    },
  ],
};
