import type { KpiCatalog } from '../../../kpis/catalog.js';
import { flagId } from '../../../people/flagId.js';
import { batchToken } from '../../../processors/checkpoint.js';
import type { ClickHouseClient } from '../../../sinks/clickhouse/client.js';
import type { Logger } from '../../../core/logger.js';
import { ClickHouseWindowStore } from '../../../sinks/clickhouse/windowStore.js';
import { windowRowWith } from './rows.js';

const DAY = 86_400_000;
const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The demo users' passwords (tools/idp/users.yaml): the local identity provider signs them in. */
export const PASSWORDS = { employee: 'employee-demo', supervisor: 'supervisor-demo', hr: 'hr-officer-demo', 'works-council': 'works-council-demo' };
export type DemoUser = keyof typeof PASSWORDS;

/** Team T1 (plant P1), led by the demo supervisor E000002: the demo employee E000001 and five more. Team T2 (P1), led by E000008: E000009. */
export const T1 = ['E000001', 'E000003', 'E000004', 'E000005', 'E000006', 'E000007'];
export const FLAGGED = ['E000001', 'E000003', 'E000004', 'E000009'] as const;

/** The id of the units_overclaim flag of `employee` on the day starting `day`. */
export const unitsFlagOf = (employee: string, day: number) =>
  flagId({ employeeId: employee, windowStart: day, kind: 'units_overclaim', method: 'single_window' });

/**
 * The people of the app's tests, in ClickHouse as the processors, the
 * assignments and detection leave them: one window on `day` for each person of
 * T1 and E000009 (150 units reported, 100 measured), their assignments from
 * 30 days before, and a proposed units_overclaim flag for each of FLAGGED.
 */
export async function seedPeople(client: ClickHouseClient, catalog: KpiCatalog, log: Logger, day: number): Promise<void> {
  const people = [...T1, 'E000009'];
  const windows = people.map((employee) =>
    windowRowWith(catalog, {
      employee,
      start: day,
      end: day + DAY,
      station: 'S001',
      measures: { units: 100, standard_ms: 3_600_000, run_ms: 3_600_000 },
      report: { units: 150, runHours: 1, defectiveUnits: 0, selfScore: 95, submittedTime: day + DAY, eventId: `${employee}-r` },
    }),
  );
  await new ClickHouseWindowStore(client, catalog, log).write(windows, batchToken(windows));
  const insert = (table: string, values: Record<string, unknown>[]) => client.insert({ table, values, format: 'JSONEachRow' });
  await insert(
    'assignments',
    people.map((employee, i) => ({
      employee_id: employee,
      valid_from: at(day - 30 * DAY),
      plant_id: 'P1',
      team_id: employee === 'E000009' ? 'T2' : 'T1',
      supervisor_id: employee === 'E000009' ? 'E000008' : 'E000002',
      submitted_time: at(day - 30 * DAY),
      event_id: `assignment-${employee}`,
      source_partition: 0,
      source_offset: i,
    })),
  );
  await insert(
    'anomalies',
    FLAGGED.map((employee) => ({
      employee_id: employee,
      station_id: 'S001',
      window_start: at(day),
      window_end: at(day + DAY),
      kind: 'units_overclaim',
      method: 'single_window',
      severity: 'high',
      reported: 150,
      measured: 100,
      deviation: 0.5,
      explanation: `${employee} reported 150 units; the MES counted 100`,
      evidence: JSON.stringify({ window: 'the day', reported: 150, measured: 100, honest_spread: { station: 'S001', sigma: 0.04, people: 6 } }),
      detected_at: at(day + DAY),
    })),
  );
}
