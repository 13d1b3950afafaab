#!/usr/bin/env node
// Installs the npm packages when node_modules is missing or older than
// package-lock.json, so `npm test` and `npm run demo` work on a fresh clone.
// Plain JavaScript on purpose: it runs before TypeScript is installed.
// `npm install`, not `npm ci`: the lock lists chdb's engine only for the
// platforms the registry served when it was written, which `npm ci` refuses.
// npm runs on a supported Node (scripts/node.mjs), as kpi-stream will.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { supportedNodeBin, withNodeFirst } from './node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.kpi-stream-installed');
const hash = createHash('sha256').update(readFileSync(lock)).digest('hex');

if (!existsSync(marker) || readFileSync(marker, 'utf8') !== hash) {
  process.stderr.write('kpi-stream: installing npm packages (npm install)…\n');
  const started = Date.now();
  execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit', env: withNodeFirst(supportedNodeBin()) });
  writeFileSync(marker, hash);
  process.stderr.write(`kpi-stream: npm packages installed in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}
