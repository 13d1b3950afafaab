import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The kpi-stream checkout or install this module belongs to (holds package.json). */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'kpi-stream') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`kpi-stream: no package.json named kpi-stream above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The compiled JavaScript of a source module, e.g. distFile('cli/main.js'). */
export function distFile(relative: string): string {
  return join(projectRoot(), 'dist', relative);
}

let version: string | undefined;

/** kpi-stream's version, from package.json (stamped on dead letters). */
export function packageVersion(): string {
  version ??= String(JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')).version);
  return version;
}
