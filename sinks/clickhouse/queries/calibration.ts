/** kpi.calibration: grade distributions per station and period against the target (view of migration 0003); read by the report (queries/report.ts). */
export const CALIBRATION_VIEW = 'calibration';
