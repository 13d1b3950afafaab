// Mutation testing: `npm run test:mutation` (docs/testing.md). StrykerJS changes the code that decides
// a person's figures, flags and alerts one small edit at a time (a `<` for a `<=`, a dropped argument)
// and runs the unit tests that cover each edit; a mutant no test notices is a comparison nobody guards.
import jestConfig from './jest.config.js';

// The mutated code, by folder: each entry is a glob, each exclusion says why.
const ENGINE = [
  'processors/**/*.ts',
  // The Kafka host (processors/kafka/: the consumer loop, partition assignment, offsets, the flush timer, the read
  // pacing, /readyz) drives kafkajs and is exercised by the integration suite, not the unit suite.
  '!processors/kafka/**',
  // Operations, not figures: Prometheus metrics (their own unit tests, and the long suite's Prometheus).
  '!processors/metrics.ts',
  // Configuration to windows (windowing.ts), and the test driver the tests run the engine with.
  '!processors/{windowing,testDriver}.ts',
];
const DECISIONS = [
  'schemas/validate.ts',
  'scoring/**/*.ts',
  'detection/**/*.ts',
  // ClickHouse and Kafka I/O around detection (integration suite). Detection's evaluation against the simulator's
  // ground truth (evaluation/) measures the flags and decides none: not mutated.
  '!detection/{runner,analytics}.ts',
  'alerting/**/*.ts',
  // Kafka, HTTP and ClickHouse I/O of alerting: the evaluator service, the delivery worker, start-up, the replay of
  // `alerts test` (integration suite).
  '!alerting/{service,delivery,run,replay}.ts',
];

// The unit project alone, flattened: Stryker swaps in its own test environment (to learn which test covers which
// mutant) at the top level of the Jest config, which a `projects` list would hide.
const unit = jestConfig.projects.find((project) => project.displayName === 'unit');

// The tests that judge mutants: the direct ones. Left out, each for its reason:
const NOT_JUDGING = [
  // A whole simulated plant through the processors, detection and scoring (golden hashes, precision and recall):
  // they reach nearly every mutant and take seconds each, so each mutant would cost half a minute or more; and a
  // figure caught only by a golden hash is caught by accident. The direct tests must catch it.
  '/test/unit/simulator/',
  '/test/unit/evaluation/',
  '/test/unit/processors/exactness.test.ts',
  // The CLI and the packaging run the built code (dist/) in other processes, never the mutated sources.
  '/test/unit/cli/',
  '/test/unit/deploy/',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [...ENGINE, ...DECISIONS],
  testRunner: 'jest',
  // configFile: package.json, which holds no Jest settings, so that jest.config.js's three projects are not read
  // under the unit project given here (Stryker merges the file's settings under these).
  jest: {
    projectType: 'custom',
    configFile: 'package.json',
    config: { ...unit, testPathIgnorePatterns: ['/node_modules/', ...NOT_JUDGING] },
  },
  // The unit suite is ESM (ts-jest's ESM preset), which Jest runs only on Node's VM modules.
  testRunnerNodeArgs: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
  // Run only the tests that reach a mutant (Stryker's own coverage), not the whole suite per mutant.
  coverageAnalysis: 'perTest',
  // Code that runs while test files load (a simulated plant built in a beforeAll) is "static" to Stryker, which would
  // run every related test file for each such mutant (a minute each here). Mutants that tests also reach are still
  // run, against those tests; only mutants reached at load time alone (module-level constants) are reported as
  // Ignored (docs/testing.md counts them). `-- --ignoreStatic false` judges those too, slowly.
  ignoreStatic: true,
  // Mutants that do not compile are dropped before any test runs (tsconfig.json's strict settings).
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // Type-checks the mutants of a file together and only splits a group that fails: much faster, the same verdicts
  // for mutants that compile.
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Below 85 % the run fails; the page colours a folder red under 85 % and green from 95 %.
  thresholds: { high: 95, low: 85, break: 85 },
  // The sandbox is a copy of the project: leave out what is large and not needed by the unit suite (Node releases,
  // local services' data, simulator and benchmark output). dist/ stays: the architecture test lists the package's
  // files, the built ones among them (pretest:mutation builds it).
  ignorePatterns: ['/.tools', '/.svc', '/dist-test', '/out', '/bench/results', '/bench/kafka-streams/target', '/reports'],
  // A mutant that turns a loop endless is a timeout (killed); the suite's own slow tests (simulated plants) need room.
  timeoutMS: 20_000,
  // Reuses the verdicts of mutants whose code and covering tests did not change since the last run (a run after a
  // small change takes minutes); `npm run test:mutation -- --force` judges every mutant again.
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
