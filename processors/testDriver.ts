import type { EventKind, EventOfKind, KindedEvent } from '../schemas/kinds.js';
import { invalidReason } from '../schemas/validate.js';
import type { EmployeeWindowRow } from './employeeWindow.js';
import { PartitionTask, type Outcome, type ResumePoint, type TaskSettings } from './partitionTask.js';
import { TumblingWindows } from './windows.js';

export interface TestDriverOptions {
  windowSize?: number;
  timeZone?: string;
  allowedLateness?: number;
  correctionHorizon?: number;
  idleClose?: number;
  emitMode?: 'final' | 'update';
  /** Initial wall-clock time (ms). */
  now?: number;
}

export interface DriverDeadLetter {
  kind: EventKind;
  partition: number;
  offset: number;
  reason: 'too-late' | 'invalid';
  message: string;
}

interface Piped {
  kind: EventKind;
  partition: number;
  offset: number;
  tagged: KindedEvent;
}

const DAY = 86_400_000;

/**
 * Runs partition tasks without Kafka or ClickHouse, like Kafka Streams'
 * TopologyTestDriver: pipe records with explicit event times, move the wall
 * clock, flush, and read the rows. An in-memory table stands in for
 * ClickHouse (it keeps the highest version of each row), an in-memory log for
 * the topics, so `crash()` can drop every task and replay from the last flush's
 * resume points exactly as a restarted processor would.
 */
export class TopologyTestDriver {
  readonly settings: TaskSettings;
  /** Every row written, in order, all versions. */
  readonly written: EmployeeWindowRow[] = [];
  readonly deadLetters: DriverDeadLetter[] = [];
  private readonly log: Piped[] = [];
  private readonly offsets = new Map<string, number>();
  private readonly table = new Map<string, EmployeeWindowRow>();
  private readonly committed = new Map<string, ResumePoint>();
  private readonly tasks = new Map<number, PartitionTask>();
  private now: number;

  constructor(options: TestDriverOptions = {}) {
    this.settings = {
      windows: TumblingWindows.of(options.windowSize ?? DAY, options.timeZone ?? 'UTC'),
      allowedLateness: options.allowedLateness ?? 10 * 60_000,
      correctionHorizon: options.correctionHorizon ?? 35 * DAY,
      idleClose: options.idleClose ?? 5 * 60_000,
      emitMode: options.emitMode ?? 'final',
    };
    this.now = options.now ?? Date.UTC(2026, 11, 1);
  }

  /** Appends a record to its topic-partition and processes it at once. */
  pipe<K extends EventKind>(kind: K, event: EventOfKind[K], partition = 0): Outcome | 'invalid' {
    const topicPartition = `${kind}:${partition}`;
    const offset = this.offsets.get(topicPartition) ?? 0;
    this.offsets.set(topicPartition, offset + 1);
    const piped = { kind, partition, offset, tagged: { kind, event } as KindedEvent };
    this.log.push(piped);
    return this.handle(piped);
  }

  advanceWallClock(ms: number): void {
    this.now += ms;
  }

  /** Writes the rows due to the table and records where each partition would resume. */
  flush(): EmployeeWindowRow[] {
    const rows: EmployeeWindowRow[] = [];
    for (const [partition, task] of this.tasks) {
      rows.push(...task.drain(this.now));
      for (const [kind, point] of task.resumePoints()) this.committed.set(`${kind}:${partition}`, point);
    }
    for (const row of rows) {
      const key = `${row.employee_id}@${row.window_start}`;
      const current = this.table.get(key);
      if (!current || row.version >= current.version) this.table.set(key, row);
    }
    this.written.push(...rows);
    return rows;
  }

  /** Loses every task's memory, then replays each topic-partition from its resume point, as a restart would. */
  crash(): void {
    this.tasks.clear();
    for (const piped of this.log) {
      const point = this.committed.get(`${piped.kind}:${piped.partition}`);
      if (!point || piped.offset >= point.offset) this.handle(piped);
    }
  }

  /** The current row of every window, ordered by window then employee. */
  rows(): EmployeeWindowRow[] {
    return [...this.table.values()].sort((a, b) => a.window_start - b.window_start || a.employee_id.localeCompare(b.employee_id));
  }

  row(employeeId: string, windowStart: number): EmployeeWindowRow | undefined {
    return this.table.get(`${employeeId}@${windowStart}`);
  }

  private taskFor(partition: number): PartitionTask {
    let task = this.tasks.get(partition);
    if (!task) {
      task = new PartitionTask(partition, this.settings, this.now);
      for (const [topicPartition, point] of this.committed) {
        const [kind, p] = topicPartition.split(':');
        if (Number(p) === partition) task.resume(kind as EventKind, point);
      }
      this.tasks.set(partition, task);
    }
    return task;
  }

  private handle({ kind, partition, offset, tagged }: Piped): Outcome | 'invalid' {
    const task = this.taskFor(partition);
    const reason = invalidReason(tagged);
    if (reason) {
      task.skip(kind, offset);
      this.deadLetters.push({ kind, partition, offset, reason: 'invalid', message: reason });
      return 'invalid';
    }
    const record = { kind, offset, tagged };
    const missing = task.missing([record]);
    task.restore(
      missing,
      missing.flatMap((key) => this.table.get(`${key.employeeId}@${key.windowStart}`) ?? []),
    );
    const outcome = task.process(record, this.now);
    if (outcome === 'too-late') this.deadLetters.push({ kind, partition, offset, reason: 'too-late', message: 'beyond the correction horizon' });
    return outcome;
  }
}
