import { join } from 'node:path';
import { projectRoot } from '../core/paths.js';
import { defineKpi, type Measures } from './definition.js';

const planned = (m: Measures) => m.run_ms! + m.idle_ms! + m.down_ms!;
const availability = (m: Measures) => (planned(m) > 0 ? m.run_ms! / planned(m) : null);
const performance = (m: Measures) => (m.run_ms! > 0 ? m.standard_ms! / m.run_ms! : null);
const qualityRate = (m: Measures) => (m.units_inspected! > 0 ? (m.units_inspected! - m.units_defective!) / m.units_inspected! : null);

function oee(m: Measures): number | null {
  const [a, p, q] = [availability(m), performance(m), qualityRate(m)];
  return a === null || p === null || q === null ? null : a * p * q;
}

/**
 * Overall equipment effectiveness, after ISO 22400-2:2014 (availability ×
 * effectiveness × quality ratio), from the measures kpi-stream already keeps.
 * What the telemetry contract lets us measure, and what not: docs/analysts.md.
 */
export const oeeKpi = defineKpi({
  name: 'oee',
  description: 'Overall equipment effectiveness: availability × performance × quality.',
  source: 'ISO 22400-2:2014, KPIs "availability", "effectiveness", "quality ratio" and "OEE index"',
  columns: [
    {
      name: 'oee_availability',
      description: 'run time / (run + idle + down time): actual production time over the time the station reported on',
      value: availability,
      sample: 'run_hours',
    },
    {
      name: 'oee_performance',
      description: 'standard time of the units completed / run time (ISO 22400 "effectiveness"; the efficiency column)',
      value: performance,
      sample: 'run_hours',
      compares: ['production', 'telemetry'],
    },
    {
      name: 'oee_quality',
      description: '(units inspected − units defective) / units inspected (ISO 22400 "quality ratio", over inspected units)',
      value: qualityRate,
      sample: 'units_inspected',
    },
    {
      name: 'oee',
      description: 'oee_availability × oee_performance × oee_quality; null unless all three exist',
      value: oee,
      compares: ['production', 'telemetry'],
    },
  ],
  indicators: [{ name: 'oee', description: 'overall equipment effectiveness (85 % is world class)', value: oee, target: 0.85, worst: 0.4, weight: 0 }],
  migrations: join(projectRoot(), 'kpis', 'migrations', 'oee'),
});
