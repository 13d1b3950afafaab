import { execFile } from 'node:child_process';
import { digest16 } from '../core/hash.js';
import { distFile } from '../core/paths.js';
import { KpiCatalog } from '../kpis/catalog.js';
import { PartitionTask, type BatchItem } from '../processors/partitionTask.js';
import { TumblingWindows } from '../processors/windows.js';
import { EVENT_KINDS, type EventKind, type KindedEvent } from '../schemas/kinds.js';
import { employeeDay } from '../simulator/day.js';
import { buildPlant } from '../simulator/plant.js';
import { PlantTime } from '../simulator/plantTime.js';
import { simulateOptions } from '../simulator/run.js';
import { encodeEvent } from '../topics/codec.js';
import { settings as configSettings } from '../core/config.js';

export interface StateMemoryResult {
  readonly windows: number;
  readonly eventsPerWindow: number;
  /** Growth of the V8 heap per open window. */
  readonly heapBytesPerWindow: number;
  /** Growth of memory outside the heap per window: typed arrays' backing stores. */
  readonly arrayBufferBytesPerWindow: number;
  /** Heap plus array buffers: what a window holds. */
  readonly bytesPerWindow: number;
  /** The process's resident memory and heap with every window open (after a full GC). */
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

function settledMemory(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory benchmark needs node --expose-gc (npm run bench passes it)');
  gc();
  gc();
  return process.memoryUsage();
}

/** A day of events of one employee, as templates: each open window copies one under an employee id of its own. */
interface DayTemplate {
  readonly batches: readonly { kind: EventKind; events: readonly KindedEvent['event'][]; digests: readonly number[] }[];
  readonly events: number;
}

/** A UUID of its own for the `n`th event of the `window`th window. */
const uuidOf = (window: number, n: number): string => `${window.toString(16).padStart(8, '0')}-${n.toString(16).padStart(4, '0')}-4000-8000-000000000000`;

/** Simulated working days to copy: `employees` employees of a 1-day plant. */
function dayTemplates(employees: number, start: number): DayTemplate[] {
  // The simulator's defaults, as `simulate` plants them.
  const options = simulateOptions({ seed: 1, employees, days: 1, start, dryRun: true });
  const plant = buildPlant(options);
  const plantTime = new PlantTime(options, start);
  const templates: DayTemplate[] = [];
  for (const employee of plant.employees) {
    const generated = employeeDay(1, employee, 0, plantTime, options);
    if (!generated) continue;
    const { production, telemetry, inspections, feedback, reports } = generated.events;
    const byKind: [EventKind, readonly KindedEvent['event'][]][] = [
      ['production', production],
      ['telemetry', telemetry],
      ['inspection', inspections],
      ['feedback', feedback],
      ['selfReport', reports],
    ];
    const batches = byKind.map(([kind, events]) => ({ kind, events, digests: events.map((event) => digest16(encodeEvent(kind, 1, event as never))) }));
    templates.push({ batches, events: batches.reduce((n, b) => n + b.events.length, 0) });
  }
  return templates;
}

/**
 * Memory one open employee-window holds in a PartitionTask: the aggregate,
 * its event fingerprints, hourly measures and the task's bookkeeping, for
 * simulated working days (about 51 events), measured as the memory growth
 * over `windows` open windows of as many employees (one open day each, as
 * in a plant of that many people). Records are made (and become garbage) as
 * a consumer's would; the task keeps what it keeps.
 */
export function measureStateMemory(windows: number): StateMemoryResult {
  const start = Date.UTC(2026, 9, 5);
  const templates = dayTemplates(200, start);
  const settings = {
    windows: TumblingWindows.of(86_400_000),
    catalog: KpiCatalog.of(),
    allowedLateness: 10 * 60_000,
    correctionHorizon: 35 * 86_400_000,
    idleClose: Number.MAX_SAFE_INTEGER,
    emitMode: 'final' as const,
    maxWindowEvents: Number(configSettings.maxWindowEvents.default),
  };
  // An empty store (nothing to read back) and a wall-clock idle timeout that never passes: every window stays open.
  const task = new PartitionTask(0, settings, 0, new Map(), new Set(), null);
  const offsets = Object.fromEntries(EVENT_KINDS.map((kind) => [kind, 0])) as Record<EventKind, number>;
  let events = 0;
  const before = settledMemory();
  for (let i = 0; i < windows; i += 1) {
    const employeeId = `E${String(i).padStart(7, '0')}`;
    const template = templates[i % templates.length]!;
    let n = 0;
    for (const { kind, events: list, digests } of template.batches) {
      const items: BatchItem[] = list.map((event, j) => ({
        offset: offsets[kind]++,
        // Ids of their own, as decoded records have (36-character UUIDs, as a plant's systems send): a window keeps its self-report's.
        record: { tagged: { kind, event: { ...event, employee_id: employeeId, event_id: uuidOf(i, n++) } } as KindedEvent, digest: digests[j]! },
      }));
      task.apply(kind, items, 0);
    }
    events += template.events;
  }
  const after = settledMemory();
  if (task.openWindows !== windows) throw new Error(`expected ${windows} open windows, the task holds ${task.openWindows}`);
  const heap = (after.heapUsed - before.heapUsed) / windows;
  const buffers = (after.arrayBuffers - before.arrayBuffers) / windows;
  return {
    windows,
    eventsPerWindow: Number((events / windows).toFixed(1)),
    heapBytesPerWindow: Math.round(heap),
    arrayBufferBytesPerWindow: Math.round(buffers),
    bytesPerWindow: Math.round(heap + buffers),
    rssMiB: Math.round(after.rss / 2 ** 20),
    heapUsedMiB: Math.round(after.heapUsed / 2 ** 20),
  };
}

/** `measureStateMemory` in a fresh Node process (`bench memory --json`), so its resident memory is the windows' alone. */
export function measureStateMemoryApart(windows: number): Promise<StateMemoryResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=16384', distFile('cli/main.js'), 'bench', 'memory', '--windows', String(windows), '--json'],
      { maxBuffer: 1 << 20, env: { ...process.env, LOG_LEVEL: 'warn' } },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (error || !line) reject(new Error(`the memory benchmark for ${windows} windows failed: ${error?.message ?? ''}\n${stderr.slice(-1500)}`));
        else resolve(JSON.parse(line) as StateMemoryResult);
      },
    );
  });
}
