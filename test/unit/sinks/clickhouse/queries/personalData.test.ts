import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../../../core/paths.js';
import { eraseStatements, namePattern, PERSONAL_TABLES } from '../../../../../sinks/clickhouse/queries/personalData.js';

const windows = PERSONAL_TABLES.find((t) => t.table === 'employee_window_metrics')!;

test('erasure rewrites the parts that hold the person and waits for it: on one node the table, on a cluster its local tables on every node', () => {
  expect(eraseStatements(windows, undefined)).toEqual([
    'ALTER TABLE employee_window_metrics DELETE WHERE employee_id = {employee:String} SETTINGS mutations_sync = 2',
  ]);
  expect(eraseStatements(windows, { cluster: 'kpi', database: 'kpi' })).toEqual([
    'ALTER TABLE employee_window_metrics_local ON CLUSTER kpi DELETE WHERE employee_id = {employee:String} SETTINGS mutations_sync = 2',
  ]);
});

test('every personal table but the audit trail is erased', () => {
  expect(PERSONAL_TABLES.filter((t) => !t.erasable).map((t) => t.table)).toEqual(['access_log']);
});

test('docs/privacy.md lists every personal table, and says which erase keeps', () => {
  const text = readFileSync(join(projectRoot(), 'docs', 'privacy.md'), 'utf8');
  const section = text.slice(text.indexOf('### What kpi-stream holds about a person'), text.indexOf('### Export'));
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \| .* \| (yes|no[^|]*) \|$/gm)].map((m) => [m[1], m[2] === 'yes']);
  expect(rows).toEqual(PERSONAL_TABLES.map((t) => [t.table, t.erasable]));
});

test("a person's id in free text is found as a word, not inside a longer id, whatever characters it holds", () => {
  const found = (id: string, text: string) => new RegExp(namePattern(id)).test(text);
  expect(found('E1', 'already confirmed by E1 (supervisor)')).toBe(true);
  expect(found('E1', 'E1')).toBe(true);
  expect(found('E1', 'already confirmed by E10 (supervisor)')).toBe(false);
  expect(found('E1', 'by XE1 and E1-2')).toBe(false);
  expect(found('a.b+c', 'by a.b+c (hr)')).toBe(true);
  expect(found('a.b+c', 'by aXb+c (hr)')).toBe(false);
});

test('erase takes the name out of a review that lost to the person, and keeps the row', () => {
  const reviews = PERSONAL_TABLES.find((t) => t.table === 'reviews')!;
  expect(eraseStatements(reviews, undefined)).toContain(
    "ALTER TABLE reviews UPDATE conflict_reason = replaceRegexpAll(conflict_reason, {name:String}, '\\\\1[erased]\\\\2') WHERE match(conflict_reason, {name:String}) SETTINGS mutations_sync = 2",
  );
});
