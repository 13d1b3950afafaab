import type avro from 'avsc';
import type { EventKind, EventOfKind } from '../schemas/kinds.js';
import { EVENT_KINDS } from '../schemas/kinds.js';
import { avroTypeOf } from '../schemas/avro.js';
import { frame } from '../topics/codec.js';
import type { SchemaIds } from '../topics/registry.js';
import { DAY, employeeDay, type DayOptions, type WindowTruth } from './day.js';
import { expectedRow, type ExpectedRow, type WindowEvents } from './expected.js';
import { Organisation, type Placement } from './organisation.js';
import { buildPlant, type Plant, type PlantOptions } from './plant.js';
import type { PlantTime, PlantTimeOptions, SimulatedWindow, WorkedShift } from './plantTime.js';
import { Random } from './random.js';

export interface SimulationOptions extends PlantOptions, DayOptions, PlantTimeOptions {
  /** Days of production to simulate. */
  days: number;
  /** The first simulated date (its UTC midnight, epoch ms): the plant day that begins on it in the plant's time zone. */
  start: number;
  /** Share of messages a producer sends twice (a retry 1–20 minutes later). */
  duplicateRate: number;
  /** Extra malformed messages per generated event. */
  malformedRate: number;
  /** Extra customer feedback that arrives after the correction horizon (40–60 days late), per feedback event. */
  tooLateRate: number;
  /** Messages arrive up to this long after they were observed, so a partition sees them slightly out of order. */
  disorderMs: number;
}

export const MALFORMED_KINDS = ['not-avro', 'bad-magic-byte', 'unknown-schema-id', 'truncated-avro', 'invalid-value', 'unattributable'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** One Kafka record the simulated plant sends, in the order it sends them. */
export interface OutboundMessage {
  readonly kind: EventKind;
  readonly key: string;
  readonly value: Buffer;
  /** Simulated time the source system sends it. */
  readonly arrival: number;
  readonly label: 'event' | 'duplicate' | 'too-late' | MalformedKind;
  /**
   * Kafka record timestamp: set on records that stand for a measured one lost
   * to a planted gap, to the time the source sent it, as a plant's source would
   * (that is how kpi-stream attributes a dead letter to a shift). Unset: the
   * producer's clock, so records far in the simulated past are not subject to
   * the topics' time-based retention.
   */
  readonly timestamp?: number;
}

export interface SimulationCounts {
  /** Distinct valid events generated, per kind (what the processors must count). */
  events: Record<EventKind, number>;
  /** Records sent, per kind, all labels included. */
  messages: Record<EventKind, number>;
  duplicates: number;
  malformed: Record<MalformedKind, number>;
  tooLate: number;
  /** Valid records sent malformed instead, as planted measurement gaps (also counted in `malformed`). */
  deadLettered: number;
}

/** What a simulation reports as it goes: expected rows and ground truth. */
export interface SimulationSink {
  expected(row: ExpectedRow): void;
  truth(window: WindowTruth): void;
  tooLate(eventId: string, kind: EventKind): void;
}

const UNKNOWN_SCHEMA_ID = 2_147_000_000;

/**
 * A simulated plant sending its events, deterministic for a seed. Days are
 * generated one at a time; messages wait in a queue ordered by arrival time
 * until no later-generated day can arrive before them, then leave in order. So
 * memory holds only messages not yet due (late inspections and feedback).
 */
export class Simulation {
  readonly plant: Plant;
  /** Who belongs where: the plants, teams and supervisors, and the assignments HR sends before any event. */
  readonly organisation: Organisation;
  readonly counts: SimulationCounts;
  private readonly pending = new ArrivalQueue();
  private sequence = 0;

  constructor(
    readonly options: SimulationOptions,
    private readonly schemaIds: SchemaIds,
  ) {
    this.plant = buildPlant(options);
    this.organisation = new Organisation(this.plant, options);
    this.counts = {
      events: Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>,
      messages: Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>,
      duplicates: 0,
      malformed: Object.fromEntries(MALFORMED_KINDS.map((k) => [k, 0])) as Record<MalformedKind, number>,
      tooLate: 0,
      deadLettered: 0,
    };
  }

  /** The messages in sending order. `onDay` is called after each simulated day is generated. */
  *messages(sink: SimulationSink, onDay?: (day: number) => void): Generator<OutboundMessage> {
    const { options } = this;
    const { organisation } = this;
    const windows = new ExpectedWindows(organisation);
    const plantTimes = [...organisation.times.values()];
    for (let day = 0; day < options.days; day += 1) {
      for (const employee of this.plant.employees) {
        // Each by the clock and calendar of the plant they work in that day (none while they move between plants).
        const posting = organisation.postingOn(employee, day);
        const generated = posting && employeeDay(options.seed, posting.employee, day, posting.time, options);
        if (!generated) continue;
        windows.add(employee.id, posting.time, generated.shift, generated.events);
        sink.truth(generated.truth);
        const r = new Random(options.seed, 'delivery', employee.index, day);
        const { production, telemetry, inspections, feedback, reports } = generated.events;
        for (const e of production) this.enqueue(r, 'production', e, e.event_time);
        for (const e of telemetry) this.enqueue(r, 'telemetry', e, e.interval_end);
        for (const e of inspections) this.enqueue(r, 'inspection', e, e.inspected_time);
        for (const e of feedback) {
          this.enqueue(r, 'feedback', e, e.feedback_time);
          if (r.chance(options.tooLateRate)) {
            const late = { ...e, event_id: `L${e.event_id}`, feedback_time: e.production_time + Math.round(r.uniform(40 * DAY, 60 * DAY)) };
            this.push(r, 'feedback', late, late.feedback_time, 'too-late');
            this.counts.tooLate += 1;
            sink.tooLate(late.event_id, 'feedback');
          }
        }
        for (const e of reports) this.enqueue(r, 'selfReport', e, e.submitted_time);
        for (const lost of generated.deadLettered) {
          this.pushMalformed(r, lost.kind, lost.event as EventOfKind[typeof lost.kind], lost.sent, true);
          this.counts.deadLettered += 1;
        }
      }
      onDay?.(day);
      // Everything generated later happens, and so arrives, on or after the next plant day's start in the plant whose day starts first.
      const next = Math.min(...plantTimes.map((time) => time.dayStartAt(day + 1)));
      for (const row of windows.closedBy(next)) sink.expected(row);
      yield* this.pending.drainBefore(next);
    }
    for (const row of windows.closedBy(Number.POSITIVE_INFINITY)) sink.expected(row);
    yield* this.pending.drainBefore(Number.POSITIVE_INFINITY);
  }

  /** Queues a valid event, maybe a duplicate of it, and maybe a malformed record beside it. */
  private enqueue<K extends EventKind>(r: Random, kind: K, event: EventOfKind[K], observed: number): void {
    this.counts.events[kind] += 1;
    const arrival = this.push(r, kind, event, observed, 'event');
    if (r.chance(this.options.duplicateRate)) {
      this.queue(kind, event.employee_id, this.encode(kind, event), arrival + Math.round(r.uniform(60_000, 20 * 60_000)), 'duplicate');
      this.counts.duplicates += 1;
    }
    if (r.chance(this.options.malformedRate)) this.pushMalformed(r, kind, event, observed);
  }

  private push<K extends EventKind>(r: Random, kind: K, event: EventOfKind[K], observed: number, label: OutboundMessage['label']): number {
    const arrival = observed + Math.round(r.uniform(0, this.options.disorderMs));
    this.queue(kind, event.employee_id, this.encode(kind, event), arrival, label);
    return arrival;
  }

  private pushMalformed<K extends EventKind>(r: Random, kind: K, event: EventOfKind[K], observed: number, stamped = false): void {
    const type = avroTypeOf(kind);
    const malformed = r.pick(MALFORMED_KINDS);
    const id = `X${event.event_id}`;
    let value: Buffer;
    switch (malformed) {
      case 'not-avro':
        value = Buffer.from(JSON.stringify({ ...event, event_id: id }));
        break;
      case 'bad-magic-byte':
        value = Buffer.from(this.encode(kind, { ...event, event_id: id }));
        value[0] = 1;
        break;
      case 'unknown-schema-id':
        value = frame(UNKNOWN_SCHEMA_ID, type.toBuffer({ ...event, event_id: id }));
        break;
      case 'truncated-avro': {
        const whole = this.encode(kind, { ...event, event_id: id });
        value = whole.subarray(0, Math.max(6, whole.length - 9));
        break;
      }
      case 'invalid-value':
        value = this.encode(kind, invalidate(kind, { ...event, event_id: id }));
        break;
      case 'unattributable':
        value = this.encode(kind, { ...event, event_id: id, employee_id: '' });
        break;
    }
    this.counts.malformed[malformed] += 1;
    const arrival = observed + Math.round(r.uniform(0, this.options.disorderMs));
    this.queue(kind, event.employee_id, value, arrival, malformed, stamped ? arrival : undefined);
  }

  private encode<K extends EventKind>(kind: K, event: EventOfKind[K]): Buffer {
    return frame(this.schemaIds[kind], (avroTypeOf(kind) as avro.Type).toBuffer(event));
  }

  private queue(kind: EventKind, key: string, value: Buffer, arrival: number, label: OutboundMessage['label'], timestamp?: number): void {
    this.counts.messages[kind] += 1;
    this.pending.push({ kind, key, value, arrival, label, ...(timestamp === undefined ? {} : { timestamp }) }, this.sequence++);
  }
}

/**
 * The expected rows, window by window: each event goes to the window of the
 * time that places it (production and inspections and feedback by production
 * time, telemetry by interval start, a report by its period start), by the
 * clock of the plant the employee worked in, so a shift that spans two windows
 * (a night shift with windows from midnight) shows in both, as the processors
 * must show it. Each row names the plant and team that held at its window's
 * start.
 */
class ExpectedWindows {
  private readonly open = new Map<string, { employeeId: string; window: SimulatedWindow; events: { [K in keyof WindowEvents]: WindowEvents[K][number][] } }>();

  constructor(private readonly organisation: Organisation) {}

  add(employeeId: string, plantTime: PlantTime, shift: WorkedShift, events: WindowEvents): void {
    const into = (time: number) => {
      const window = plantTime.windowOf(time, shift);
      const key = `${employeeId}@${window.start}`;
      let open = this.open.get(key);
      if (!open) this.open.set(key, (open = { employeeId, window, events: { production: [], telemetry: [], inspections: [], feedback: [], reports: [] } }));
      return open.events;
    };
    for (const e of events.production) into(e.event_time).production.push(e);
    for (const e of events.telemetry) into(e.interval_start).telemetry.push(e);
    for (const e of events.inspections) into(e.production_time).inspections.push(e);
    for (const e of events.feedback) into(e.production_time).feedback.push(e);
    for (const e of events.reports) into(e.period_start).reports.push(e);
  }

  /** The rows of the windows that end by `time` (no later event can reach them), in the order they were opened. */
  *closedBy(time: number): Generator<ExpectedRow> {
    for (const [key, { employeeId, window, events }] of this.open) {
      if (window.end > time) continue;
      this.open.delete(key);
      const placement: Placement | undefined = this.organisation.placementAt(employeeId, window.start);
      yield { ...expectedRow(employeeId, window, events), ...placement };
    }
  }
}

/** An event of the kind made invalid under docs/contract.md's value rules, still valid Avro. */
function invalidate<K extends EventKind>(kind: K, event: EventOfKind[K]): EventOfKind[K] {
  const e = { ...event } as Record<string, unknown>;
  switch (kind) {
    case 'production':
      e.units = -5;
      break;
    case 'telemetry':
      e.interval_end = (e.interval_start as number) - 60_000;
      break;
    case 'inspection':
      e.units_defective = (e.units_inspected as number) + 1;
      break;
    case 'feedback':
      e.satisfaction = 150;
      break;
    case 'selfReport':
      e.reported_units = -(e.reported_units as number) - 1;
      break;
  }
  return e as unknown as EventOfKind[K];
}

/** A min-heap of messages by arrival time; ties keep the order they were queued in. */
class ArrivalQueue {
  private readonly heap: { message: OutboundMessage; order: number }[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(message: OutboundMessage, order: number): void {
    const heap = this.heap;
    heap.push({ message, order });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  *drainBefore(time: number): Generator<OutboundMessage> {
    while (this.heap.length > 0 && this.heap[0]!.message.arrival < time) yield this.pop();
  }

  private pop(): OutboundMessage {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.less(left, smallest)) smallest = left;
        if (right < heap.length && this.less(right, smallest)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top.message;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    return a.message.arrival < b.message.arrival || (a.message.arrival === b.message.arrival && a.order < b.order);
  }
}
