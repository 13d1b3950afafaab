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
  detection: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'scoring', 'simulator'],
  reporting: ['core', 'schemas', 'contract', 'kpis', 'sinks', 'scoring', 'detection'],
  alerting: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'scoring', 'detection'],
  services: ['core', 'topics', 'sinks'],
  bench: ['core', 'schemas', 'contract', 'kpis', 'topics', 'sinks', 'processors', 'simulator', 'services', 'alerting'],
  // Development tools (the embedded ClickHouse front): nothing of the product imports them, and the package leaves them out.
  tools: ['core', 'services'],
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

/** The top-level folders a file imports from, other than its own. */
function importedFolders(file: string): string[] {
  const folder = relative(root, file).split('/')[0]!;
  const targets = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) =>
    relative(root, normalize(join(dirname(file), m[1]!))),
  );
  return [...new Set(targets.map((t) => t.split('/')[0]!))].filter((t) => t !== folder && !t.includes('.'));
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
  expect(importedFolders(join(root, 'test', 'unit', 'cli', 'simulate.test.ts'))).toContain('cli');
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
