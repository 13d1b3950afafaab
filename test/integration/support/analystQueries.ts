import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { biDatabase } from '../../../sinks/clickhouse/queries/biViews.js';

/** The example queries of docs/analysts.md, in the test's `database` (the `kpi.` prefix dropped, `kpi_bi.` its BI database). */
export function analystQueries(database: string): string[] {
  const doc = readFileSync(join(projectRoot(), 'docs', 'analysts.md'), 'utf8');
  return [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .replace(/\bkpi\./g, '')
      .replace(/\bkpi_bi\./g, `${biDatabase(database)}.`)
      .trim(),
  );
}

/**
 * A query that may rightly return nothing on a simulated plant: one tied to
 * today, or one about alert deliveries (the alerting service does not run in
 * these tests, and delivered alerts are not "not delivered").
 */
export function mayBeEmpty(query: string): boolean {
  return /now64\(|alert_deliver/.test(query);
}
