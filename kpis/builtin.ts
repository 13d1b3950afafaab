import { defineKpi, measure, ratio, toMilli, toMillis, type KpiDefinition } from './definition.js';

const MS_PER_HOUR = 3_600_000;

/** Output: units the MES counted and the standard time they are worth (docs/contract.md's units, standard_hours). */
export const output = defineKpi({
  name: 'output',
  description: 'Units completed and the engineered standard time they are worth.',
  measures: [
    measure({ name: 'units', reads: 'production', description: 'Σ ProductionReported.units', value: (e) => e.units }),
    measure({
      name: 'standard_ms',
      reads: 'production',
      description: 'Σ units × standard time per unit, in ms',
      value: (e) => e.units * toMillis(e.standard_seconds_per_unit),
    }),
  ],
  columns: [{ name: 'standard_hours', description: 'Σ units × standard_seconds_per_unit / 3600', value: (m) => m.standard_ms! / MS_PER_HOUR }],
});

/** Machine time from the IoT gateway: running, idle, down. */
export const machineTime = defineKpi({
  name: 'machine_time',
  description: 'Machine time of the stations the employee was logged in at.',
  measures: [
    measure({ name: 'run_ms', reads: 'telemetry', description: 'Σ run_seconds, in ms', value: (e) => toMillis(e.run_seconds) }),
    measure({ name: 'idle_ms', reads: 'telemetry', description: 'Σ idle_seconds, in ms', value: (e) => toMillis(e.idle_seconds) }),
    measure({ name: 'down_ms', reads: 'telemetry', description: 'Σ down_seconds, in ms', value: (e) => toMillis(e.down_seconds) }),
  ],
  columns: [
    { name: 'run_hours', description: 'Σ run_seconds / 3600', value: (m) => m.run_ms! / MS_PER_HOUR },
    { name: 'idle_hours', description: 'Σ idle_seconds / 3600', value: (m) => m.idle_ms! / MS_PER_HOUR },
    { name: 'down_hours', description: 'Σ down_seconds / 3600', value: (m) => m.down_ms! / MS_PER_HOUR },
  ],
});

/** Efficiency against standard: standard hours earned per machine run hour. */
export const efficiency = defineKpi({
  name: 'efficiency',
  description: 'Standard hours of the units completed over machine run hours.',
  columns: [
    {
      name: 'efficiency',
      description: 'standard_hours / run_hours (null when run_hours = 0)',
      value: (m) => ratio(m.standard_ms!, m.run_ms!),
      sample: 'run_hours',
      compares: ['production', 'telemetry'],
    },
  ],
  indicators: [
    { name: 'efficiency', description: 'efficiency against standard', value: (m) => ratio(m.standard_ms!, m.run_ms!), target: 1.0, worst: 0.5, weight: 0.4 },
  ],
});

/** Quality from the QMS: defective units among those inspected. */
export const quality = defineKpi({
  name: 'quality',
  description: 'Defective units among the units inspected, by the QMS.',
  measures: [
    measure({ name: 'units_inspected', reads: 'inspection', description: 'Σ units_inspected', value: (e) => e.units_inspected }),
    measure({ name: 'units_defective', reads: 'inspection', description: 'Σ units_defective', value: (e) => e.units_defective }),
  ],
  columns: [
    {
      name: 'defect_rate',
      description: 'units_defective / units_inspected',
      value: (m) => ratio(m.units_defective!, m.units_inspected!),
      sample: 'units_inspected',
    },
  ],
  indicators: [
    {
      name: 'quality',
      description: 'defect rate (lower is better)',
      value: (m) => ratio(m.units_defective!, m.units_inspected!),
      target: 0.01,
      worst: 0.1,
      weight: 0.3,
    },
  ],
});

/** Customer satisfaction from the CRM. */
export const satisfaction = defineKpi({
  name: 'satisfaction',
  description: 'What customers said about the orders traced back to the employee.',
  measures: [
    measure({ name: 'feedback_count', reads: 'feedback', description: 'number of CustomerFeedback events', value: () => 1 }),
    measure({ name: 'complaints', reads: 'feedback', description: 'number of them with a formal complaint', value: (e) => (e.complaint ? 1 : 0) }),
    measure({ name: 'satisfaction_milli', reads: 'feedback', description: 'Σ satisfaction, in thousandths', value: (e) => toMilli(e.satisfaction) }),
  ],
  columns: [
    {
      name: 'satisfaction_avg',
      description: 'mean satisfaction',
      value: (m) => (m.feedback_count! > 0 ? m.satisfaction_milli! / (1000 * m.feedback_count!) : null),
      sample: 'feedback_count',
    },
  ],
  indicators: [
    {
      name: 'satisfaction',
      description: 'mean customer satisfaction',
      value: (m) => (m.feedback_count! > 0 ? m.satisfaction_milli! / (1000 * m.feedback_count!) : null),
      target: 90,
      worst: 50,
      weight: 0.3,
    },
  ],
});

/** kpi-stream's own KPIs: docs/contract.md's columns of kpi.employee_window_metrics (created by migration 0001). */
export const BUILTIN_KPIS: readonly KpiDefinition[] = [output, machineTime, efficiency, quality, satisfaction];
