import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportFigures } from '../../../reporting/figures.js';
import { writeReport } from '../../../reporting/run.js';

const dir = mkdtempSync(join(tmpdir(), 'kpi-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

test('a report is its owner’s alone: 0600, in a folder made 0700, even where an earlier one was readable to others', () => {
  const out = join(dir, 'reports', 'october.json');
  const written = writeReport({ period: 'month' } as unknown as ReportFigures, 'json', out);
  expect(written).toBe(out);
  expect([mode(out), mode(join(dir, 'reports'))]).toEqual([0o600, 0o700]);
  chmodSync(out, 0o644);
  writeReport({ period: 'month' } as unknown as ReportFigures, 'json', out);
  expect(mode(out)).toBe(0o600);
});
