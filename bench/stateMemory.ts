import { digest16 } from '../core/hash.js';
import { KpiCatalog } from '../kpis/catalog.js';
import { PartitionTask, type BatchItem } from '../processors/partitionTask.js';
import { TumblingWindows } from '../processors/windows.js';
import type { EventKind, KindedEvent } from '../schemas/kinds.js';
import { DEFAULT_HONEST_ERRORS, employeeDay } from '../simulator/day.js';
import { buildPlant } from '../simulator/plant.js';
import { PlantTime, SHIFT_PRESETS } from '../simulator/plantTime.js';
import { encodeEvent } from '../topics/codec.js';

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
 * its event fingerprints and the task's bookkeeping, for simulated working
 * days, measured as the heap growth over many open windows.
 */
export async function measureStateMemory(windows = 20_000): Promise<StateMemoryResult> {
  const employees = Math.ceil(windows / 20) + 1;
  const plant = buildPlant({
    seed: 1,
    employees,
    stations: Math.ceil(employees / 12),
    products: 12,
    inflatorShare: 0.1,
    inflationDays: 0.8,
    lateStartShare: 0,
    intermittentShare: 0,
    intermittentDays: 0.3,
    days: 1,
    shifts: SHIFT_PRESETS.two,
  });
  const start = Date.UTC(2026, 9, 5);
  const plantTime = new PlantTime({ timeZone: 'UTC', dayStart: 0, windowSize: 86_400_000, shifts: SHIFT_PRESETS.two, shiftWindows: false }, start);
  const settings = {
    windows: TumblingWindows.of(86_400_000),
    catalog: KpiCatalog.of(),
    allowedLateness: 10 * 60_000,
    correctionHorizon: 35 * 86_400_000,
    idleClose: Number.MAX_SAFE_INTEGER,
    emitMode: 'final' as const,
  };
  // A wall-clock idle timeout that never passes: every window stays open.
  const task = new PartitionTask(0, settings, 0);
  const emptyStore = { current: async () => [], write: async () => undefined };
  let events = 0;
  let offset = 0;
  const before = heapUsed();
  // Records are generated (and become garbage) as a consumer's would; the task keeps what it keeps.
  for (let day = 0; task.openWindows < windows; day += 1) {
    for (const employee of plant.employees) {
      if (task.openWindows >= windows) break;
      const generated = employeeDay(1, employee, day, plantTime, { feedbackShare: 0.25, honestErrors: DEFAULT_HONEST_ERRORS, gapShare: 0 });
      if (!generated) continue;
      const { production, telemetry, inspections, feedback, reports } = generated.events;
      const byKind: [EventKind, KindedEvent[]][] = [
        ['production', production.map((event) => ({ kind: 'production' as const, event }))],
        ['telemetry', telemetry.map((event) => ({ kind: 'telemetry' as const, event }))],
        ['inspection', inspections.map((event) => ({ kind: 'inspection' as const, event }))],
        ['feedback', feedback.map((event) => ({ kind: 'feedback' as const, event }))],
        ['selfReport', reports.map((event) => ({ kind: 'selfReport' as const, event }))],
      ];
      for (const [kind, tagged] of byKind) {
        const items: BatchItem[] = tagged.map((t) => ({ offset: offset++, record: { tagged: t, digest: digest16(encodeEvent(t.kind, 1, t.event as never)) } }));
        await task.processBatch(kind, items, 0, emptyStore);
        events += items.length;
      }
    }
  }
  const after = heapUsed();
  return {
    windows: task.openWindows,
    eventsPerWindow: events / task.openWindows,
    bytesPerWindow: (after - before) / task.openWindows,
    heapDeltaBytes: after - before,
  };
}
