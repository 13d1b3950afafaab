import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSettings } from '../../../core/config.js';
import { DEAD_LETTER_CODES } from '../../../core/errors.js';
import { projectRoot } from '../../../core/paths.js';
import { PINNED_RELEASES, supportedRange } from '../../../scripts/node.mjs';

const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');

test("the README documents every configuration variable, the local services' own in their table", () => {
  const variablesOf = (section: string) => {
    const table = /\| variable \| default \| meaning \|\n\|---\|---\|---\|\n((?:\|.*\n)+)/.exec(section)?.[1] ?? '';
    return table.split('\n').flatMap((row) => /^\| `(\w+)` \|/.exec(row)?.[1] ?? []);
  };
  const [deployment, local] = readme.split('\n### Local services (development only)\n');
  const settings = describeSettings();
  expect(variablesOf(deployment!.slice(deployment!.indexOf('\n## Configuration\n')))).toEqual(settings.filter((s) => !s.localService).map((s) => s.env));
  expect(variablesOf(local ?? '')).toEqual(settings.filter((s) => s.localService).map((s) => s.env));
});

test('the README explains every dead-letter code', () => {
  for (const code of DEAD_LETTER_CODES) expect(readme).toMatch(new RegExp(`^  \\| \`${code}\` \\| \\S`, 'm'));
});

test('the quick start is two commands, and CI runs the test one', () => {
  const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = quickStart
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.replace(/#.*/, '').trim());
  expect(commands).toEqual(['npm run demo', 'npm test']);
  expect(readFileSync(join(projectRoot(), '.ci', 'run'), 'utf8')).toMatch(/^(timeout [^\n]* )?npm test$/m);
});

test('the README names the supported Node lines and the releases CI tests them on', () => {
  const versions = /## Node\.js versions\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  for (const release of PINNED_RELEASES) expect(versions).toContain(release);
  for (const [, minimum, line] of supportedRange().matchAll(/\^((\d+)\.\d+\.\d+)/g)) {
    expect(versions).toContain(`| ${line} LTS |`);
    if (minimum !== `${line}.0.0`) expect(versions).toContain(minimum);
  }
});
