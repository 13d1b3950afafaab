import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';

// The embedded ClickHouse is a native module (npm chdb, its engine in @chdb/lib-<platform>): it must load on every
// supported Node line, and this suite runs on each of them in CI (.ci/run).
test(`the embedded ClickHouse engine loads on Node ${process.version} and answers a query`, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kpi-chdb-'));
  const session = new Session(dataDir);
  try {
    const answer = await session.queryAsync('SELECT version() AS engine, sum(number) AS total FROM numbers(1000)', { format: 'JSONEachRow' });
    const row = JSON.parse(answer.text()) as { engine: string; total: string | number };
    expect(row.engine).toMatch(/^26\./);
    expect(Number(row.total)).toBe(499_500);
  } finally {
    session.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
