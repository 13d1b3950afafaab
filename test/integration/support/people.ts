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
  await insertAssignments(client, people.map(demoMember), day - 30 * DAY);
  await insertUnitsFlags(client, FLAGGED, {
    day,
    station: 'S001',
    reported: 150,
    measured: 100,
    evidence: { window: 'the day', reported: 150, measured: 100, honest_spread: { station: 'S001', sigma: 0.04, people: 6 } },
  });
}

/** Where a person works: their plant, team and team lead. */
export interface TeamMember {
  readonly employee: string;
  readonly plant: string;
  readonly team: string;
  readonly supervisor: string;
}

/** The demo plant's teams: T1 led by E000002, T2 (E000009 alone) led by E000008, both in P1. */
export const demoMember = (employee: string): TeamMember =>
  employee === 'E000009' ? { employee, plant: 'P1', team: 'T2', supervisor: 'E000008' } : { employee, plant: 'P1', team: 'T1', supervisor: 'E000002' };

/** Rows of `assignments` as the organisation sink writes them: each member in their team from `from` on. */
export async function insertAssignments(client: ClickHouseClient, members: readonly TeamMember[], from: number): Promise<void> {
  await client.insert({
    table: 'assignments',
    format: 'JSONEachRow',
    values: members.map((m, i) => ({
      employee_id: m.employee,
      valid_from: at(from),
      plant_id: m.plant,
      team_id: m.team,
      supervisor_id: m.supervisor,
      submitted_time: at(from),
      event_id: `assignment-${m.employee}`,
      source_partition: 0,
      source_offset: i,
    })),
  });
}

/** A units_overclaim flag's figures: the day's window, where, and the units reported against those measured. */
export interface UnitsFlag {
  readonly day: number;
  readonly station: string;
  readonly reported: number;
  readonly measured: number;
  readonly evidence: unknown;
}

/** Proposed units_overclaim flags in `anomalies`, as detection writes them: one per employee, on the window of `flag.day`. */
export async function insertUnitsFlags(client: ClickHouseClient, employees: readonly string[], flag: UnitsFlag): Promise<void> {
  await client.insert({
    table: 'anomalies',
    format: 'JSONEachRow',
    values: employees.map((employee) => ({
      employee_id: employee,
      station_id: flag.station,
      window_start: at(flag.day),
      window_end: at(flag.day + DAY),
      kind: 'units_overclaim',
      method: 'single_window',
      severity: 'high',
      reported: flag.reported,
      measured: flag.measured,
      deviation: (flag.reported - flag.measured) / flag.measured,
      explanation: `${employee} reported ${flag.reported} units; the MES counted ${flag.measured}`,
      evidence: JSON.stringify(flag.evidence),
      detected_at: at(flag.day + DAY),
    })),
  });
}
