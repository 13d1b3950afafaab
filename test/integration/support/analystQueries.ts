import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';

/** The example queries of docs/analysts.md, in the test's database (the `kpi.` prefix dropped). */
export function analystQueries(): string[] {
  const doc = readFileSync(join(projectRoot(), 'docs', 'analysts.md'), 'utf8');
  return [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\bkpi\./g, '').trim());
}

/**
 * A query that may rightly return nothing on a simulated plant: one tied to
 * today, or one about alert deliveries (the alerting service does not run in
 * these tests, and delivered alerts are not "not delivered").
 */
export function mayBeEmpty(query: string): boolean {
  return /now64\(|alert_deliver/.test(query);
}
