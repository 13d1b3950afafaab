import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSettings } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';

const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');

test('the README documents every configuration variable', () => {
  for (const { env } of describeSettings()) expect(readme).toContain(`\`${env}\``);
});

test('the quick start is two commands, and CI runs the test one', () => {
  const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = quickStart.split('\n').filter((line) => line.trim() !== '').map((line) => line.replace(/#.*/, '').trim());
  expect(commands).toEqual(['npm run demo', 'npm test']);
  expect(readFileSync(join(projectRoot(), '.ci', 'run'), 'utf8')).toMatch(/^(timeout [^\n]* )?npm test$/m);
});
