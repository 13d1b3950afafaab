// Three projects: `unit` needs no services; `integration` starts (or finds) the real
// Kafka, schema registry and ClickHouse in its global setup; `long` does too, for the
// tests that `npm test` leaves out (`npm run test:long`).
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  // Node.js releases fetched by scripts/node.mjs, the local services' downloads and data (Go's module cache for
  // the Prometheus tests among them), the compiled global setup, and the sandbox copy of the project while
  // mutation tests run: not part of the project's modules or tests.
  modulePathIgnorePatterns: ['<rootDir>/.tools/', '<rootDir>/.svc/', '<rootDir>/dist-test/', '<rootDir>/.stryker-tmp/'],
};

// Real services, started (or found) by the global setup. Compiled into dist-test/ by the pretest
// step (tsconfig.setup.json): global setup runs outside jest's module system, so it loads plain JavaScript.
const integration = {
  ...common,
  globalSetup: '<rootDir>/dist-test/test/integration/setup/globalSetup.js',
  globalTeardown: '<rootDir>/dist-test/test/integration/setup/globalTeardown.js',
  slowTestThreshold: 60,
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...integration,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.long\\.test\\.ts$'],
    },
    // `npm run test:long`, not `npm test`: tests whose tools take longer to build than CI
    // allows (a real Prometheus, built from source on first use; README "Tests").
    { ...integration, displayName: 'long', testMatch: ['<rootDir>/test/integration/**/*.long.test.ts'] },
  ],
};
