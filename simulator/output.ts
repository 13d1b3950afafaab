import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EventKind } from '../schemas/kinds.js';
import type { WindowTruth } from './day.js';
import type { ExpectedRow } from './expected.js';
import type { SimulationSink } from './simulation.js';

/** File names in a simulation's output directory (times are epoch milliseconds, UTC). */
export const OUTPUT_FILES = {
  /** The plant: options, stations, employees and which of them inflate (one JSON object). */
  plant: 'plant.json',
  /** Who belongs where: teams, supervisors, the mid-period moves and every assignment sent to hr.assignments.v1 (one JSON object). */
  organisation: 'organisation.json',
  /** One expected kpi.employee_window_metrics row per employee-window (JSON lines). */
  expected: 'expected_metrics.jsonl',
  /** Per employee-window: measured and reported figures, and the planted inflation if any (JSON lines). */
  truth: 'truth.jsonl',
  /** Counts of events, messages, duplicates, malformed records by kind, too-late event ids, timing (one JSON object). */
  summary: 'summary.json',
} as const;

/** Appends JSON lines through a buffer, so a large simulation writes in big chunks. */
class JsonLines {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(value: unknown): void {
    const line = `${JSON.stringify(value)}\n`;
    this.buffer.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.buffer.length > 0) writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Writes a simulation's ground truth and expected rows to a directory. */
export class OutputDirectory implements SimulationSink {
  private readonly expectedFile: JsonLines;
  private readonly truthFile: JsonLines;
  readonly tooLateIds: { eventId: string; kind: EventKind }[] = [];

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.expectedFile = new JsonLines(join(dir, OUTPUT_FILES.expected));
    this.truthFile = new JsonLines(join(dir, OUTPUT_FILES.truth));
  }

  expected(row: ExpectedRow): void {
    this.expectedFile.write(row);
  }

  truth(window: WindowTruth): void {
    this.truthFile.write(window);
  }

  tooLate(eventId: string, kind: EventKind): void {
    this.tooLateIds.push({ eventId, kind });
  }

  writeJson(file: string, value: unknown): void {
    writeFileSync(join(this.dir, file), `${JSON.stringify(value, null, 2)}\n`);
  }

  close(): void {
    this.expectedFile.close();
    this.truthFile.close();
  }
}
