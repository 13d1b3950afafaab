// @ts-check
// An example KPI added from outside kpi-stream's own folders: mean time between
// failures and mean time to repair per employee-window, after ISO 22400-2's
// MTBF and MTTR, from the machine telemetry kpi-stream already reads. Load it
// with KPI_EXTENSIONS=examples/mtbf/mtbf.js (see README.md beside this file).
import { fileURLToPath } from 'node:url';
import { defineKpi, measure } from 'kpi-stream';

const MS_PER_HOUR = 3_600_000;

export default defineKpi({
  name: 'mtbf',
  description: 'Mean time between failures and mean time to repair of the machines an employee ran.',
  source: 'ISO 22400-2:2014, KPIs "mean time between failures" and "mean time to repair" (failures counted per telemetry interval with down time)',
  measures: [
    // A telemetry interval with down time counts as one failure: the IoT contract reports time, not fault events.
    measure({ name: 'failures', reads: 'telemetry', description: 'telemetry intervals with down time', value: (e) => (e.down_seconds > 0 ? 1 : 0) }),
  ],
  columns: [
    {
      name: 'mtbf_hours',
      description: 'run time per failure, in hours (null without a failure)',
      value: (m) => (m.failures > 0 ? m.run_ms / m.failures / MS_PER_HOUR : null),
    },
    {
      name: 'mttr_minutes',
      description: 'down time per failure, in minutes (null without a failure)',
      value: (m) => (m.failures > 0 ? m.down_ms / m.failures / 60_000 : null),
    },
  ],
  indicators: [
    {
      name: 'mtbf',
      description: 'mean time between failures, hours',
      value: (m) => (m.failures > 0 ? m.run_ms / m.failures / MS_PER_HOUR : null),
      target: 8,
      worst: 1,
      weight: 0,
    },
  ],
  migrations: fileURLToPath(new URL('./migrations', import.meta.url)),
});
