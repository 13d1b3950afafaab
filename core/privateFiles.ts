import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Files that hold personal data or secrets (the reports, the local services'
 * data and their generated passwords) are their owner's alone: folders 0700,
 * files 0600, whatever the process's umask, and made so again when an earlier
 * version left them readable to others.
 */

/** Makes `dir` (and its missing parents) and gives it to its owner alone. */
export function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Writes `data` to `file`, readable by its owner alone; a folder made for it is its owner's alone too. */
export function writePrivateFile(file: string, data: string | Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, data, { mode: 0o600 });
  chmodSync(file, 0o600);
}
