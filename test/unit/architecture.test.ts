import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { projectRoot } from '../../core/paths.js';

/**
 * The import graph follows the data flow (README "Architecture"): no import
 * runs back up. Each folder may import only the folders listed for it; `cli/`
 * is imported by nothing but its own tests.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  schemas: ['core'],
  contract: ['core', 'schemas'],
  kpis: ['core', 'schemas', 'contract'],
  topics: ['core', 'schemas', 'contract'],
  sinks: ['core', 'schemas', 'contract', 'kpis'],
  scoring: ['core', 'schemas', 'contract', 'kpis', 'sinks'],
  processors: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks'],
  simulator: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'scoring'],
  // The analytics service gives people their pseudonym (privacy/pseudonymise.ts) before it scores their rows.
  detection: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'scoring', 'privacy'],
  evaluation: ['core', 'schemas', 'contract', 'kpis', 'sinks', 'scoring', 'simulator', 'detection'],
  reporting: ['core', 'schemas', 'contract', 'kpis', 'sinks', 'scoring', 'detection'],
  // A data subject's requests (export, erasure) over the personal tables, and the topics that keep their records.
  privacy: ['core', 'topics', 'sinks'],
  // Alerting names people by pseudonym in what it sends (privacy/pseudonym.ts).
  alerting: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'scoring', 'detection', 'privacy'],
  services: ['core', 'topics', 'sinks'],
  // People in the loop: decisions about flags and disputes as events (kpi.reviews.v1), applied into kpi.reviews; the app calls it.
  people: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks'],
  // The manifest reads every part's definitions (topics, KPIs, scoring, detection, alert rules, roles, retention): the floor above them all.
  manifest: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'scoring', 'detection', 'alerting', 'privacy'],
  demo: [
    'core',
    'schemas',
    'contract',
    'kpis',
    'topics',
    'sinks',
    'processors',
    'simulator',
    'scoring',
    'detection',
    'evaluation',
    'reporting',
    'alerting',
    'services',
    'privacy',
  ],
  // The web app and its API: the use-cases and the people underneath it (DESIGN.md "The shape to grow into").
  app: ['core', 'schemas', 'contract', 'kpis', 'sinks', 'scoring', 'detection', 'privacy', 'reporting', 'people', 'manifest'],
  bench: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'processors', 'simulator', 'services', 'alerting', 'privacy'],
  // Development tools (the embedded ClickHouse front): nothing of the product imports them, and the package leaves them out.
  tools: ['core', 'services', 'privacy'],
};
const SKIPPED = new Set(['node_modules', 'dist', 'test', 'examples', 'scripts', 'docs', 'deploy']);
const root = projectRoot();

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** What a file imports: packages by name, project files by their path from the root. */
function importsOf(file: string): { packages: string[]; files: string[] } {
  const specifiers = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
  return {
    packages: specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('node:')),
    files: specifiers.filter((s) => s.startsWith('.')).map((s) => relative(root, normalize(join(dirname(file), s)))),
  };
}

/** The top-level folders a file imports from, other than its own. */
function importedFolders(file: string): string[] {
  const folder = relative(root, file).split('/')[0]!;
  return [...new Set(importsOf(file).files.map((t) => t.split('/')[0]!))].filter((t) => t !== folder && !t.includes('.'));
}

test('each folder imports only the folders before it in the data flow', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(root)) {
    const folder = relative(root, file).split('/')[0]!;
    const allowed = MAY_IMPORT[folder];
    if (!allowed) continue; // the entry points: cli/ and the package's index.ts
    for (const target of importedFolders(file)) if (!allowed.includes(target)) violations.push(`${relative(root, file)} imports ${target}/`);
  }
  expect(violations).toEqual([]);
});

test('every source folder has its place in the flow, and nothing outside cli/ imports cli/', () => {
  const folders = new Set([...sourceFiles(root)].map((f) => relative(root, f).split('/')[0]!).filter((f) => !f.endsWith('.ts')));
  expect([...folders].filter((f) => f !== 'cli' && !(f in MAY_IMPORT))).toEqual([]);
  const importingCli = [...sourceFiles(root), ...sourceFiles(join(root, 'test'))].filter(
    (f) => !relative(root, f).startsWith('cli/') && !relative(root, f).startsWith('test/unit/cli/') && importedFolders(f).includes('cli'),
  );
  expect(importingCli.map((f) => relative(root, f))).toEqual([]);
  // The check sees an import of cli/ where there is one: the CLI's own tests.
  expect(importedFolders(join(root, 'test', 'unit', 'cli', 'args.test.ts'))).toContain('cli');
});

test('in processors/, only the Kafka host (processors/kafka/) reaches Kafka and ClickHouse: the engine and the test driver go through ports', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(join(root, 'processors'))) {
    const path = relative(root, file);
    if (path.startsWith('processors/kafka/')) continue;
    const { packages, files } = importsOf(file);
    for (const name of packages) if (name === 'kafkajs' || name.startsWith('@clickhouse/')) violations.push(`${path} imports ${name}`);
    // The wire-format codec is no client: the test driver decodes with it, against an in-memory registry.
    for (const target of files)
      if (target.startsWith('sinks/') || (target.startsWith('topics/') && target !== 'topics/codec.js')) violations.push(`${path} imports ${target}`);
  }
  expect(violations).toEqual([]);
  // The check sees the Kafka host's imports where they are.
  expect(importsOf(join(root, 'processors', 'kafka', 'bootstrap.ts')).packages).toContain('prom-client');
});

test('no processor imports a Kafka library: the Kafka host reaches Kafka through the client port (topics/client/), whichever library KPI_KAFKA_CLIENT names', () => {
  const libraries = ['kafkajs', '@platformatic/kafka', '@confluentinc/kafka-javascript'];
  const violations = [...sourceFiles(join(root, 'processors'))].flatMap((file) =>
    importsOf(file)
      .packages.filter((name) => libraries.includes(name))
      .map((name) => `${relative(root, file)} imports ${name}`),
  );
  expect(violations).toEqual([]);
  // The check sees the port where the host takes it.
  expect(importsOf(join(root, 'processors', 'kafka', 'bootstrap.ts')).files).toContain('topics/client/client.js');
});

test('every service produces through the client port (topics/client/): KPI_KAFKA_CLIENT picks the library of every producer', () => {
  // A library's producer made, typed or sent through directly (kafkajs' send({ topic, … }), sendBatch; @platformatic/kafka's new Producer).
  const libraryProducer = [
    /\bcreateProducer\(/,
    /\bnew Producer\b/,
    /\.producer\(\s*\{/,
    /\.sendBatch\(/,
    /\.send\(\{\s*topic\b/,
    /import[^;]*\bProducer\b[^;]*from 'kafkajs'/,
  ];
  const violations = [...sourceFiles(root)]
    .map((file) => relative(root, file))
    .filter((path) => !path.startsWith('topics/client/') && path !== 'topics/kafka.ts')
    .filter((path) => libraryProducer.some((pattern) => pattern.test(readFileSync(join(root, path), 'utf8'))));
  expect(violations).toEqual([]);
  // The check sees the adapters' own producers.
  expect(readFileSync(join(root, 'topics', 'client', 'kafkajs.ts'), 'utf8')).toMatch(libraryProducer[0]!);
  expect(readFileSync(join(root, 'topics', 'client', 'platformatic.ts'), 'utf8')).toMatch(libraryProducer[1]!);
});

test('every service consumes through the client port (topics/client/): KPI_KAFKA_CLIENT picks the library of every consumer', () => {
  // A library's consumer made, typed or run directly (kafkajs' consumer({ groupId, … }), its eachBatch and eachMessage; @platformatic/kafka's new Consumer).
  const libraryConsumer = [/\.consumer\(\s*\{/, /\bnew Consumer\b/, /\beach(?:Batch|Message)\b/, /import[^;]*\bConsumer\b[^;]*from 'kafkajs'/];
  const violations = [...sourceFiles(root)]
    .map((file) => relative(root, file))
    // bench/ measures a bare kafkajs consumer as the baseline the port is compared with.
    .filter((path) => !path.startsWith('topics/client/') && !path.startsWith('bench/'))
    .filter((path) => libraryConsumer.some((pattern) => pattern.test(readFileSync(join(root, path), 'utf8'))));
  expect(violations).toEqual([]);
  // The check sees the adapters' own consumers.
  expect(readFileSync(join(root, 'topics', 'client', 'kafkajs.ts'), 'utf8')).toMatch(libraryConsumer[0]!);
  expect(readFileSync(join(root, 'topics', 'client', 'platformatic.ts'), 'utf8')).toMatch(libraryConsumer[1]!);
});

test('no module imports itself through others: the import graph has no circle', () => {
  const files = new Set([...sourceFiles(root)].map((f) => relative(root, f)));
  const edges = new Map<string, string[]>();
  for (const file of files) {
    edges.set(
      file,
      importsOf(join(root, file))
        .files.map((target) => target.replace(/\.js$/, '.ts'))
        .filter((target) => files.has(target)),
    );
  }
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    state.set(file, 'open');
    for (const next of edges.get(file)!) {
      if (state.get(next) === 'open') circles.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else if (!state.has(next)) visit(next, [...path, next]);
    }
    state.set(file, 'done');
  };
  for (const file of [...files].sort()) if (!state.has(file)) visit(file, [file]);
  expect(circles).toEqual([]);
});

test('the commands are thin and apart: none imports another (what they share is in cli/args.ts, cli/table.ts and the use-cases)', () => {
  const commands = join(root, 'cli', 'commands');
  const crossing = [...sourceFiles(commands)].flatMap((file) =>
    importsOf(file)
      .files.filter((target) => target.startsWith('cli/commands/') && target.replace(/\.js$/, '.ts') !== relative(root, file))
      .map((target) => `${relative(root, file)} imports ${target}`),
  );
  expect(crossing).toEqual([]);
});

test('the published package leaves out the development tools (tools/, the embedded ClickHouse front)', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as [
    { files: { path: string }[] },
  ];
  const paths = pack.files.map((f) => f.path);
  expect(paths).toContain('dist/cli/main.js');
  expect(paths).toContain('dist/services/clickhouse/service.js');
  expect(paths.filter((p) => p.startsWith('tools/') || p.startsWith('dist/tools/'))).toEqual([]);
});

test('every insert into ClickHouse carries a deduplication token: rows go through sinks/clickhouse/insert.ts', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(root)) {
    const path = relative(root, file);
    // The embedded engine's front (a development tool) is the server side of inserts, not a writer.
    if (path.startsWith('tools/') || path === 'sinks/clickhouse/insert.ts') continue;
    const code = readFileSync(file, 'utf8');
    if (/\.insert\(\s*\{/.test(code)) violations.push(`${path} calls a client's insert(): use insertRows`);
    if (/\bINSERT INTO\b/.test(code) && !code.includes('deduplicationSettings(')) violations.push(`${path} writes INSERT INTO without deduplicationSettings`);
  }
  expect(violations).toEqual([]);
  // The check sees the helper's own insert.
  expect(readFileSync(join(root, 'sinks', 'clickhouse', 'insert.ts'), 'utf8')).toMatch(/\.insert\(\s*\{/);
});
