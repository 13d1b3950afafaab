/**
 * kpi-stream's public API: what a data engineer imports to extend it (KPI
 * definitions), embed it (the processors, the use-cases) or test against it
 * (the test driver). The command line (`kpi-stream …`) is a thin layer over
 * the same functions.
 */
export { defineKpi, measure, toMillis, toMilli, ratio, MAX_CONTRIBUTION } from './kpis/definition.js';
export type { KpiDefinition, MeasureDefinition, ColumnDefinition, IndicatorDefinition, Measures } from './kpis/definition.js';
export { KpiCatalog } from './kpis/catalog.js';
export { loadCatalog } from './kpis/extensions.js';
export { loadConfig, describeSettings, type Config } from './core/config.js';
export { createLogger, type Logger } from './core/logger.js';
export * from './core/errors.js';
export type { WindowRow, WindowKey, EmployeeWindowMetrics } from './contract/windowRow.js';
export type { WindowStore, DeadLetterStore, OffsetStore, DeadLetter, ResumePoint } from './contract/ports.js';
export type { EventKind, EventOfKind, KindedEvent } from './schemas/kinds.js';
export type * from './schemas/events.js';
export { startPipeline } from './processors/kafka/bootstrap.js';
export type { Pipeline, PipelineOptions } from './processors/kafka/pipeline.js';
export { TopologyTestDriver, type TestDriverOptions } from './processors/testDriver.js';
export { simulatePlant, simulateOptions, SIMULATION_DEFAULTS, type SimulateOptions } from './simulator/run.js';
export { scorePeriods, type ScoreOptions } from './scoring/score.js';
export { migrate } from './sinks/clickhouse/migrate.js';
export { startAlerting, type Alerting } from './alerting/run.js';
export { verifyWebhook } from './alerting/targets.js';
export type { AlertEvent } from './contract/alertEvent.js';
export type { Flag } from './contract/flag.js';
export { readReport, renderReport, writeReport, type ReportOptions, type ReportFormat } from './reporting/run.js';
export type { ReportFigures } from './reporting/figures.js';
export { parseNames, readNames, type Names } from './reporting/names.js';
