import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';

/**
 * What `npm pack` ships: the compiled product, the contracts and migrations
 * it reads at run time — and no test (tests compile apart, tsconfig.build.json).
 * Needs `npm run build` first, as every unit run has it (pretest:unit).
 */
test('the package holds the compiled product and no test file', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: projectRoot(), encoding: 'utf8' })) as [
    { files: { path: string }[] },
  ];
  const files = pack.files.map((f) => f.path);
  expect(files.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('dist-test/') || /\.test\.[jt]s/.test(f))).toEqual([]);
  expect(files).toEqual(expect.arrayContaining(['dist/cli/main.js', 'dist/index.js', 'dist/processors/runner.js', 'schemas/ProductionReported.avsc']));
  expect(files.some((f) => f.startsWith('sinks/clickhouse/migrations/'))).toBe(true);
});

test('every script that runs jest builds the global setup first: jest checks every project’s config, whichever runs', () => {
  const { scripts } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const jestScripts = Object.keys(scripts).filter((name) => / exec jest /.test(scripts[name]!));
  expect(jestScripts).toEqual(expect.arrayContaining(['test:unit', 'test:integration', 'test:long']));
  for (const name of jestScripts) expect({ name, pre: scripts[`pre${name}`] }).toEqual({ name, pre: expect.stringContaining('npm run build:tests') });
});
