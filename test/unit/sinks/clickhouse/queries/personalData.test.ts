import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../../../core/paths.js';
import { eraseStatements, PERSONAL_TABLES } from '../../../../../sinks/clickhouse/queries/personalData.js';

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
