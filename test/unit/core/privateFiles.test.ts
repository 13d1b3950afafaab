import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateDirectory, writePrivateFile } from '../../../core/privateFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'kpi-private-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

test('private folders and files stay private whatever the umask, and are made so again', () => {
  const previous = process.umask(0o000);
  try {
    const folder = join(dir, 'svc', 'clickhouse');
    mkdirSync(folder, { recursive: true, mode: 0o755 });
    writeFileSync(join(folder, 'old'), 'x', { mode: 0o644 });
    privateDirectory(folder);
    writePrivateFile(join(folder, 'data', 'part.bin'), 'rows');
    writePrivateFile(join(folder, 'old'), 'y');
    expect([mode(folder), mode(join(folder, 'data')), mode(join(folder, 'data', 'part.bin')), mode(join(folder, 'old'))]).toEqual([0o700, 0o700, 0o600, 0o600]);
  } finally {
    process.umask(previous);
  }
});
