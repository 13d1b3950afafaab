import { PartitionTask, type InputRecord } from '../processors/partitionTask.js';
import { TumblingWindows } from '../processors/windows.js';
import type { KindedEvent } from '../schemas/kinds.js';
import { DEFAULT_HONEST_ERRORS, employeeDay } from '../simulator/day.js';
import { buildPlant } from '../simulator/plant.js';

export interface StateMemoryResult {
  windows: number;
  eventsPerWindow: number;
  bytesPerWindow: number;
  heapDeltaBytes: number;
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the state benchmark needs node --expose-gc (npm run bench does this)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Memory one active employee-window holds in a PartitionTask: the aggregate,
 * its event-id set and the task's bookkeeping, for simulated working days
 * (about 66 events each), measured as the heap growth over many open windows.
 */
export function measureStateMemory(windows = 20_000): StateMemoryResult {
  const employees = Math.ceil(windows / 20) + 1;
  const plant = buildPlant({ seed: 1, employees, stations: Math.ceil(employees / 12), products: 12, inflatorShare: 0.1, inflationDays: 0.8, lateStartShare: 0, intermittentShare: 0, intermittentDays: 0.3, days: 1 });
  const start = Date.UTC(2026, 9, 5);
  // A wall-clock idle timeout that never passes: every window stays open.
  const task = new PartitionTask(0, { windows: TumblingWindows.of(86_400_000), allowedLateness: 10 * 60_000, correctionHorizon: 35 * 86_400_000, idleClose: Number.MAX_SAFE_INTEGER, emitMode: 'final' }, 0);
  let events = 0;
  let offset = 0;
  const before = heapUsed();
  // Records are generated (and become garbage) as a consumer's would; the task keeps what it keeps.
  for (let day = 0; task.openWindows < windows; day += 1) {
    for (const employee of plant.employees) {
      if (task.openWindows >= windows) break;
      const generated = employeeDay(1, employee, day, start, { feedbackShare: 0.25, honestErrors: DEFAULT_HONEST_ERRORS, gapShare: 0 });
      if (!generated) continue;
      const { production, telemetry, inspections, feedback, reports } = generated.events;
      const tagged: KindedEvent[] = [
        ...production.map((event) => ({ kind: 'production' as const, event })),
        ...telemetry.map((event) => ({ kind: 'telemetry' as const, event })),
        ...inspections.map((event) => ({ kind: 'inspection' as const, event })),
        ...feedback.map((event) => ({ kind: 'feedback' as const, event })),
        ...reports.map((event) => ({ kind: 'selfReport' as const, event })),
      ];
      const batch: InputRecord[] = tagged.map((t) => ({ kind: t.kind, offset: offset++, tagged: t }));
      task.restore(task.missing(batch), []);
      for (const record of batch) task.process(record, 0);
      events += batch.length;
    }
  }
  const after = heapUsed();
  return { windows: task.openWindows, eventsPerWindow: events / task.openWindows, bytesPerWindow: (after - before) / task.openWindows, heapDeltaBytes: after - before };
}
