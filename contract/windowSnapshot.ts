/**
 * An employee-window as it stands after a batch that changed it: what live
 * alerting judges, open windows included. The processors publish one per
 * changed window and batch (processors/ writes it, alerting/ reads it; neither
 * imports the other). Its version is the number of events in it, so the
 * highest version of a key is its latest state, whatever order snapshots
 * arrive in and however often a replay publishes them again.
 */
export interface WindowSnapshot {
  readonly employee_id: string;
  readonly window_start: number;
  readonly window_end: number;
  /** Where the employee earned the most standard and run time so far ('' when nowhere yet). */
  readonly station_id: string;
  readonly version: number;
  /** Every measure of the processors' catalog, by name: exact whole-number sums. */
  readonly measures: Readonly<Record<string, number>>;
  /** The self-report that stands, if any. */
  readonly report: {
    readonly units: number;
    readonly run_hours: number;
    readonly defective_units: number;
    readonly self_score: number | null;
  } | null;
  /** Wall-clock time (ms) the processor applied the change: where alert latency is measured from inside kpi-stream. */
  readonly observed_at: number;
}

/** Where the processors publish the snapshots of the windows a batch changed (kpi.alert_inputs.v1). */
export interface LiveWindows {
  /** Resolves once the snapshots are durable; offsets past their records are committed only then. */
  publish(snapshots: readonly WindowSnapshot[]): Promise<void>;
}
