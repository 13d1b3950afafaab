import { Writable } from 'node:stream';
import { metricsOf } from '../../../contract/windowRow.js';
import { RegistryUnavailableError } from '../../../core/errors.js';
import { createLogger, type Logger } from '../../../core/logger.js';
import type { LiveWindows } from '../../../contract/windowSnapshot.js';
import { StreamRunner, type RunnerPorts } from '../../../processors/runner.js';
import { TEST_SCHEMA_IDS, TopologyTestDriver } from '../../../processors/testDriver.js';
import { avroTypeOf } from '../../../schemas/avro.js';
import { INPUTS } from '../../../schemas/inputs.js';
import { EVENT_KINDS } from '../../../schemas/kinds.js';
import { EventCodec, encodeEvent, frame } from '../../../topics/codec.js';
import { feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

const HOUR = 3_600_000;
const day = (d: number, hour = 0) => Date.UTC(2026, 10, d, hour);
/** The driver's wall clock sits on 2026-12-01: events in November are in the past. */
const driver = (options = {}) => new TopologyTestDriver({ limits: { maxClockSkew: 5 * 60_000 }, ...options });

describe('time sanity', () => {
  test('a device with a wrong clock is dead-lettered and does not make later records late', async () => {
    const d = driver();
    expect(await d.pipe('production', production({ event_id: 'future', event_time: Date.UTC(2100, 0, 1) }))).toBe('KPI_ERR_INVALID_TIME');
    expect(await d.pipe('production', production({ event_id: 'good', event_time: day(20, 9) }))).toBe('accepted');
    expect(await d.pipe('production', production({ event_id: 'next', event_time: day(21, 9) }))).toBe('accepted');
    expect(d.deadLetters).toEqual([expect.objectContaining({ code: 'KPI_ERR_INVALID_TIME', message: expect.stringContaining('2100-01-01') })]);
  });

  test("clock skew is judged against the wall clock, not the producer's Kafka timestamp", async () => {
    const d = driver();
    const wall = Date.UTC(2026, 11, 1);
    const skew = 5 * 60_000;
    // A device a day ahead stamps its records (and their Kafka CreateTime) by its own clock: dead-lettered, up to 1 ms past the limit.
    expect(await d.pipe('production', production({ event_id: 'device', event_time: wall + 24 * HOUR }), { timestamp: wall + 24 * HOUR })).toBe(
      'KPI_ERR_INVALID_TIME',
    );
    expect(await d.pipe('production', production({ event_id: 'past', event_time: wall + skew + 1 }), { timestamp: wall + 24 * HOUR })).toBe(
      'KPI_ERR_INVALID_TIME',
    );
    // Exactly at the limit is accepted, even from a producer whose clock is a day behind.
    expect(await d.pipe('production', production({ event_id: 'edge', event_time: wall + skew }), { timestamp: wall - 24 * HOUR })).toBe('accepted');
    // The device's records moved no clock: the window of the day before is still open.
    expect(await d.pipe('production', production({ event_id: 'yesterday', event_time: wall - HOUR }))).toBe('accepted');
    expect(await d.flush()).toEqual([]);
  });

  test('times in seconds or microseconds are told apart in the message', async () => {
    const d = driver();
    await d.pipe('production', production({ event_id: 's', event_time: Math.floor(day(20, 9) / 1000) }));
    await d.pipe('production', production({ event_id: 'us', event_time: day(20, 9) * 1000 }));
    expect(d.deadLetters.map((l) => l.message)).toEqual([expect.stringContaining('looks like seconds'), expect.stringContaining('looks like microseconds')]);
  });

  test('a backfill of data older than the correction horizon still counts', async () => {
    const d = driver();
    expect(await d.pipe('production', production({ event_id: 'old', event_time: Date.UTC(2025, 0, 15, 9), units: 3 }))).toBe('accepted');
    d.advanceWallClock(HOUR);
    const [row] = await d.flush();
    expect(metricsOf(row!)).toMatchObject({ window_start: Date.UTC(2025, 0, 15), units: 3 });
  });
});

describe('keys, ids and numbers', () => {
  test('a record whose key is not its employee_id, or has no key, is dead-lettered', async () => {
    const d = driver();
    expect(await d.pipe('production', production({ employee_id: 'emp-1' }), { key: 'emp-2' })).toBe('KPI_ERR_KEY_MISMATCH');
    expect(await d.pipe('production', production({ event_id: 'p-2', employee_id: 'emp-1' }), { key: null })).toBe('KPI_ERR_KEY_MISMATCH');
    expect(d.deadLetters.map((l) => l.message)).toEqual([
      'the record\'s key "emp-2" is not its employee_id "emp-1": an employee\'s events must share a key (and so a partition)',
      'the record\'s key null is not its employee_id "emp-1": an employee\'s events must share a key (and so a partition)',
    ]);
  });

  test('a key is compared in UTF-8: a Latin-1 key with as many bytes as the id has characters is not the id', async () => {
    const d = driver();
    const id = 'op-é';
    expect(await d.pipe('production', production({ employee_id: id, event_time: day(20, 9) }), { key: Buffer.from(id, 'latin1') })).toBe(
      'KPI_ERR_KEY_MISMATCH',
    );
    expect(await d.pipe('production', production({ employee_id: id, event_id: 'p-2', event_time: day(20, 9) }), { key: Buffer.from(id, 'utf8') })).toBe(
      'accepted',
    );
    expect(await d.pipe('production', production({ employee_id: 'op-1', event_id: 'p-3', event_time: day(20, 9) }), { key: 'op-2' })).toBe(
      'KPI_ERR_KEY_MISMATCH',
    );
  });

  test('a key that only starts with the id, or whose Latin-1 bytes spell an id of non-ASCII characters (U+0080 included), is not the id', async () => {
    const d = driver();
    const pipe = (employee: string, id: string, key: Buffer | string) =>
      d.pipe('production', production({ employee_id: employee, event_id: id, event_time: day(20, 9) }), { key });
    expect(await pipe('emp-1', 'p-1', 'emp-1x')).toBe('KPI_ERR_KEY_MISMATCH');
    expect(await pipe('éé', 'p-2', Buffer.from('éé', 'latin1'))).toBe('KPI_ERR_KEY_MISMATCH');
    expect(await pipe('\u0080', 'p-3', Buffer.from([0x80]))).toBe('KPI_ERR_KEY_MISMATCH');
    expect(await pipe('éé', 'p-4', 'éé')).toBe('accepted');
  });

  test('a mismatched key and employee_id are each shown up to 200 characters', async () => {
    const d = driver({ limits: { maxClockSkew: 5 * 60_000, maxIdLength: 1000 } });
    const employee = `${'E'.repeat(200)}tail`;
    const key = `${'K'.repeat(200)}tail`;
    expect(await d.pipe('production', production({ employee_id: employee, event_time: day(20, 9) }), { key })).toBe('KPI_ERR_KEY_MISMATCH');
    expect(d.deadLetters.map((l) => l.message)).toEqual([
      `the record's key "${'K'.repeat(200)}" is not its employee_id "${'E'.repeat(200)}": an employee's events must share a key (and so a partition)`,
    ]);
  });

  test('ids with braces, quotes and unicode are legal data and count', async () => {
    const d = driver();
    const id = '{a:1}\' OR 1=1; -- "工"';
    expect(await d.pipe('production', production({ employee_id: id, event_id: id, event_time: day(20, 9), units: 4 }))).toBe('accepted');
    d.advanceWallClock(HOUR);
    expect((await d.flush()).map((r) => [r.employee_id, r.values.units])).toEqual([[id, 4]]);
  });

  test('two source systems that reuse an id are not merged; a repeat with other content is counted', async () => {
    const d = driver();
    expect(await d.pipe('production', production({ event_id: 'x', event_time: day(20, 9), units: 5 }))).toBe('accepted');
    expect(await d.pipe('inspection', inspection({ event_id: 'x', production_time: day(20, 9), inspected_time: day(20, 12) }))).toBe('accepted');
    expect(await d.pipe('production', production({ event_id: 'x', event_time: day(20, 9), units: 5 }))).toBe('duplicate');
    expect(await d.pipe('production', production({ event_id: 'x', event_time: day(20, 9), units: 500 }))).toBe('conflicting-duplicate');
    expect(d.metrics.conflictingDuplicates).toBe(1);
    expect(d.metrics.records).toMatchObject({ accepted: 2, duplicate: 2 });
  });

  test('a contribution that would overflow an exact sum is dead-lettered', async () => {
    const d = driver();
    expect(await d.pipe('production', production({ units: 2_000_000_000, standard_seconds_per_unit: 86_400, event_time: day(20, 9) }))).toBe(
      'KPI_ERR_OUT_OF_RANGE',
    );
  });

  test('bytes that are not a record are dead-lettered with their own codes, and the stream goes on', async () => {
    const d = driver();
    const body = avroTypeOf('production').toBuffer(production({ event_time: day(20, 9) }));
    expect(await d.pipeBytes('production', Buffer.from('{"units": 3}'), { key: 'emp-1' })).toBe('KPI_ERR_DECODE_NOT_AVRO');
    expect(await d.pipeBytes('production', null, { key: 'emp-1' })).toBe('KPI_ERR_DECODE_NOT_AVRO');
    expect(await d.pipeBytes('production', frame(999, body), { key: 'emp-1' })).toBe('KPI_ERR_DECODE_UNKNOWN_SCHEMA');
    expect(await d.pipeBytes('production', frame(TEST_SCHEMA_IDS.production, body.subarray(0, body.length - 4)), { key: 'emp-1' })).toBe(
      'KPI_ERR_DECODE_MALFORMED',
    );
    expect(await d.pipeBytes('production', frame(TEST_SCHEMA_IDS.telemetry, body), { key: 'emp-1' })).not.toBe('accepted');
    // A string whose bytes are not UTF-8: the station id's first byte (after its length) becomes 0xff.
    const broken = Buffer.from(encodeEvent('production', TEST_SCHEMA_IDS.production, production({ station_id: 'st-9', event_time: day(20, 9) })));
    broken[broken.indexOf(Buffer.from('st-9'))] = 0xff;
    expect(await d.pipeBytes('production', broken, { key: 'emp-1' })).toBe('KPI_ERR_DECODE_MALFORMED');
    expect(await d.pipe('production', production({ event_id: 'fine', event_time: day(20, 9) }))).toBe('accepted');
    expect(d.deadLetters.every((l) => l.topic === 'factory.production.v1' && l.key?.toString() === 'emp-1')).toBe(true);
  });
});

describe('what the Kafka host asks of the runner between batches', () => {
  const topic = (kind: 'production' | 'telemetry' | 'feedback') => INPUTS[kind].topic;

  test('the next offset of each topic-partition this process holds, and none once a rebalance reset it', async () => {
    const d = driver();
    await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9) }));
    await d.pipe('production', production({ event_id: 'b', event_time: day(20, 10) }));
    await d.pipe('telemetry', telemetry({ interval_start: day(20, 9), interval_end: day(20, 9) + 15 * 60_000 }), { partition: 1 });
    const runner = d.streamRunner;
    expect([runner.position(topic('production'), 0), runner.position(topic('telemetry'), 1)]).toEqual([2, 1]);
    expect([runner.position(topic('production'), 1), runner.position(topic('feedback'), 0), runner.position('not.an.input', 0)]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    runner.reset();
    expect([runner.position(topic('production'), 0), runner.openWindows, runner.windowsInMemory]).toEqual([undefined, 0, 0]);
  });

  test('rows are due once a changed window closes in any partition; a written window stops being open at the next drain and stays in memory up to the cache', async () => {
    const d = driver({ closedWindowCache: 10 });
    const runner = d.streamRunner;
    await d.pipe('production', production({ event_time: day(20, 9) }));
    await d.pipe('production', production({ event_id: 'p-2', employee_id: 'emp-2', event_time: day(20, 9) }), { key: 'emp-2', partition: 1 });
    expect([runner.rowsDue, runner.openWindows, runner.windowsInMemory]).toEqual([false, 2, 2]);
    await d.pipe('production', production({ event_id: 'p-3', employee_id: 'emp-2', event_time: day(22, 9) }), { key: 'emp-2', partition: 1 });
    // A closed window is open until its row is written.
    expect([runner.rowsDue, runner.openWindows, runner.windowsInMemory]).toEqual([true, 3, 3]);
    expect((await d.flush()).map((row) => [row.employee_id, row.window_start])).toEqual([['emp-2', day(20)]]);
    expect([runner.rowsDue, runner.openWindows, runner.windowsInMemory]).toEqual([false, 3, 3]);
    // The drain after its row was written moves it to the closed-window cache.
    expect(await d.flush()).toEqual([]);
    expect([runner.rowsDue, runner.openWindows, runner.windowsInMemory]).toEqual([false, 2, 3]);
  });

  test('the topics to pause are those more than the allowed lateness ahead of the slowest one with records left', async () => {
    const d = driver();
    const runner = d.streamRunner;
    await d.pipe('telemetry', telemetry({ interval_start: day(20, 9), interval_end: day(20, 9) + 15 * 60_000 }), { recordsLeft: 10 });
    await d.pipe('feedback', feedback({ production_time: day(20, 10), feedback_time: day(25) }), { recordsLeft: 10 });
    expect([runner.topicsAhead(0), runner.topicsAhead(1)]).toEqual([[topic('feedback')], []]);
    // What batches said before a time is forgotten (a topic whose batches stopped holds nothing back).
    d.advanceWallClock(1000);
    await d.pipe('feedback', feedback({ event_id: 'f-2', production_time: day(20, 10), feedback_time: day(25) }), { recordsLeft: 10 });
    runner.forgetBacklog(Date.UTC(2026, 11, 1) + 1000);
    expect(runner.topicsAhead(0)).toEqual([]);
    await d.pipe('telemetry', telemetry({ event_id: 't-2', interval_start: day(20, 9), interval_end: day(20, 9) + 15 * 60_000 }), { recordsLeft: 0 });
    expect(runner.topicsAhead(0)).toEqual([]);
  });
});

describe('rows the store refuses', () => {
  test("are isolated: the window's records go to the dead letters with their bytes, every other row is written", async () => {
    const d = driver({ refuse: (row: { employee_id: string }) => row.employee_id === 'bad', idleClose: HOUR });
    for (const employee of ['good', 'bad', 'also-good']) {
      await d.pipe('production', production({ employee_id: employee, event_id: `${employee}-p`, event_time: day(20, 9), units: 2 }));
      await d.pipe(
        'telemetry',
        telemetry({ employee_id: employee, event_id: `${employee}-t`, interval_start: day(20, 9), interval_end: day(20, 9) + 900_000 }),
      );
    }
    await d.pipe(
      'selfReport',
      selfReport({ employee_id: 'bad', event_id: 'bad-r', period_start: day(20, 6), period_end: day(20, 14), submitted_time: day(20, 15) }),
    );
    d.advanceWallClock(2 * HOUR);
    await d.flush();
    expect(
      d
        .rows()
        .map((r) => r.employee_id)
        .sort(),
    ).toEqual(['also-good', 'good']);
    const refused = d.deadLetters.filter((l) => l.code === 'KPI_ERR_SINK_REJECTED');
    expect(refused.map((l) => [l.topic, l.offset]).sort()).toEqual([
      ['factory.production.v1', 1],
      ['factory.telemetry.v1', 1],
      ['hr.self_reports.v1', 0],
    ]);
    expect(refused.every((l) => l.value !== null && l.message.includes('employee bad'))).toBe(true);
    expect(d.metrics.refusedRows).toBe(1);

    // A later record for the refused window follows the others; other windows go on as before.
    expect(await d.pipe('inspection', inspection({ employee_id: 'bad', event_id: 'bad-i', production_time: day(20, 9), inspected_time: day(21, 9) }))).toBe(
      'KPI_ERR_SINK_REJECTED',
    );
    expect(await d.pipe('inspection', inspection({ employee_id: 'good', event_id: 'good-i', production_time: day(20, 9), inspected_time: day(21, 9) }))).toBe(
      'accepted',
    );
    d.advanceWallClock(2 * HOUR);
    await d.flush();
    expect(metricsOf(d.row('good', day(20))!).units_inspected).toBe(10);
  });
});

describe('a flush that fails', () => {
  test('fails every later flush rather than commit past the rows it did not write; a restart resumes from the last commit', async () => {
    let down = true;
    const outage = (): boolean => {
      if (down) throw new Error('ClickHouse went away');
      return false;
    };
    const d = driver({ refuse: outage, idleClose: HOUR });
    await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9), units: 2 }));
    d.advanceWallClock(2 * HOUR);
    await expect(d.flush()).rejects.toThrow('ClickHouse went away');
    down = false;
    await d.pipe('production', production({ event_id: 'b', event_time: day(21, 9), units: 3 }));
    d.advanceWallClock(2 * HOUR);
    await expect(d.flush()).rejects.toThrow('ClickHouse went away');
    expect(d.rows()).toEqual([]);
    await d.crash();
    d.advanceWallClock(2 * HOUR);
    await d.flush();
    expect(d.rows().map((r) => [r.window_start, r.values.units])).toEqual([
      [day(20), 2],
      [day(21), 3],
    ]);
  });
});

describe('memory is bounded, whatever producers send', () => {
  test('a flood of new employee ids past KPI_MAX_OPEN_WINDOWS is dead-lettered (KPI_ERR_TOO_MANY_WINDOWS); the open windows go on counting', async () => {
    const d = driver({ maxOpenWindows: 100 });
    const verdicts: string[] = [];
    for (let i = 0; i < 5_000; i += 1) {
      verdicts.push(await d.pipe('production', production({ event_id: `flood-${i}`, employee_id: `E${i}`, event_time: day(20, 9), units: 1 })));
    }
    expect(verdicts.filter((v) => v === 'accepted')).toHaveLength(100);
    expect(verdicts.filter((v) => v === 'KPI_ERR_TOO_MANY_WINDOWS')).toHaveLength(4_900);
    expect(d.metrics.openWindows).toBe(100);
    expect(d.deadLetters[0]).toMatchObject({
      code: 'KPI_ERR_TOO_MANY_WINDOWS',
      message: 'the processor holds 100 open employee-windows (KPI_MAX_OPEN_WINDOWS): the window of employee E100 from 2026-11-20T00:00:00.000Z is not opened',
    });
    // An employee whose window is open still counts; once the windows are written, new ones open again.
    expect(await d.pipe('production', production({ event_id: 'more-0', employee_id: 'E0', event_time: day(20, 10), units: 2 }))).toBe('accepted');
    d.advanceWallClock(HOUR);
    expect((await d.flush()).find((r) => r.employee_id === 'E0')?.values.units).toBe(3);
    // Written windows leave memory at the drain after their rows.
    await d.flush();
    expect(d.metrics.openWindows).toBe(0);
    expect(await d.pipe('production', production({ event_id: 'next-day', employee_id: 'E100', event_time: day(22, 9) }))).toBe('accepted');
  });

  test('a window past KPI_MAX_WINDOW_EVENTS takes no more events (KPI_ERR_TOO_MANY_EVENTS); a repeat of one it holds is still a duplicate', async () => {
    const d = driver({ maxWindowEvents: 50 });
    const verdicts: string[] = [];
    for (let i = 0; i < 80; i += 1) verdicts.push(await d.pipe('production', production({ event_id: `p-${i}`, event_time: day(20, 9), units: 1 })));
    expect(verdicts.filter((v) => v === 'accepted')).toHaveLength(50);
    expect(verdicts.slice(50)).toEqual(Array(30).fill('KPI_ERR_TOO_MANY_EVENTS'));
    expect(await d.pipe('production', production({ event_id: 'p-7', event_time: day(20, 9), units: 1 }))).toBe('duplicate');
    expect(d.deadLetters.at(-1)?.message).toBe(
      'the window of employee emp-1 from 2026-11-20T00:00:00.000Z holds 50 events (KPI_MAX_WINDOW_EVENTS): no more are added to it',
    );
    d.advanceWallClock(HOUR);
    expect((await d.flush())[0]?.values.units).toBe(50);
  });
});

describe('batches the runner refuses or gives up', () => {
  const context = (live: () => boolean) => ({ heartbeat: async () => undefined, live });
  const record = () => ({
    offset: 0,
    key: Buffer.from('emp-1'),
    value: encodeEvent('production', TEST_SCHEMA_IDS.production, production({ event_time: day(20, 9) })),
    timestamp: Date.UTC(2026, 11, 1),
  });

  test('a batch of a topic that is not an input is refused, naming the topic', async () => {
    await expect(
      driver().streamRunner.processBatch(
        'not.an.input',
        0,
        [],
        context(() => true),
      ),
    ).rejects.toThrow(new Error('received a record of not.an.input, which is not an input topic'));
  });

  test('a registry failure that is not an outage fails the batch; once the batch was abandoned (a rebalance), it is given up quietly', async () => {
    const refusing = runnerOn({
      codec: new EventCodec(async () => {
        throw new Error('401 Unauthorized');
      }),
    });
    await expect(
      refusing.processBatch(
        INPUTS.production.topic,
        0,
        [record()],
        context(() => true),
      ),
    ).rejects.toThrow(new Error('401 Unauthorized'));
    let live = true;
    const abandoned = runnerOn({
      codec: new EventCodec(async () => {
        live = false; // the partition is taken while the schema is fetched, and the fetch fails
        throw new Error('socket closed');
      }),
    });
    await expect(
      abandoned.processBatch(
        INPUTS.production.topic,
        0,
        [record()],
        context(() => live),
      ),
    ).resolves.toBeUndefined();
  });

  test('a rebalance while the batch waits on the registry gives the batch up, though the partition came back here', async () => {
    let rebalanced = false;
    const runner: StreamRunner = runnerOn({
      codec: new EventCodec(async () => {
        runner.reset(); // the group rebalanced and assigned the partition to this process again
        rebalanced = true;
        return avroTypeOf('production');
      }),
    });
    await expect(
      runner.processBatch(
        INPUTS.production.topic,
        0,
        [record()],
        context(() => true),
      ),
    ).resolves.toBeUndefined();
    expect(rebalanced).toBe(true);
    expect(runner.openWindows).toBe(0);
    expect(runner.position(INPUTS.production.topic, 0)).toBeUndefined();
  });
});

describe('checkpoints asked for while one is queued', () => {
  test('another one joins the queued checkpoint; one that writes every open window does not', async () => {
    const d = driver();
    await d.pipe('production', production({ event_time: day(20, 9), units: 4 }));
    const runner = d.streamRunner;
    const queued = runner.flush();
    expect(runner.flush()).toBe(queued);
    const closing = runner.flush(true);
    expect(closing).not.toBe(queued);
    await Promise.all([queued, closing]);
    expect(d.rows().map((r) => [r.employee_id, r.window_start, r.values.units])).toEqual([['emp-1', day(20), 4]]);
  });
});

/** A logger at debug level whose JSON lines the test reads back, without pino's per-process fields. */
function capturedLog(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const { time: _time, pid: _pid, hostname: _hostname, name: _name, ...rest } = JSON.parse(line) as Record<string, unknown>;
        return rest;
      });
  return { logger: createLogger('debug', 'json', 'kpi-stream', [], destination), lines };
}

describe('what an operator reads', () => {
  test('each dead letter names its cause exactly, with the schema id when the record was decoded, and is logged as a warning; a plain repeat is not', async () => {
    const { logger, lines } = capturedLog();
    const d = new TopologyTestDriver({}, logger);
    const topic = INPUTS.production.topic;
    const timestamp = Date.UTC(2026, 11, 1);
    await d.pipeBytes('production', Buffer.from('{"units": 3}'), { key: 'emp-1' });
    await d.pipe('production', production({ event_id: 'k', employee_id: 'emp-1', event_time: day(20, 9) }), { key: 'emp-2' });
    await d.pipe('production', production({ event_id: 'big', units: 2_000_000_000, standard_seconds_per_unit: 86_400, event_time: day(20, 9) }));
    await d.pipe('production', production({ event_id: 'now', event_time: timestamp, units: 1 }));
    await d.pipe('production', production({ event_id: 'old', event_time: Date.UTC(2026, 9, 1, 9) }));
    await d.pipe('production', production({ event_id: 'now', event_time: timestamp, units: 1 }));
    await d.pipe('production', production({ event_id: 'now', event_time: timestamp, units: 2 }));
    const messages = [
      'not in Confluent wire format (first byte 123, 12 bytes)',
      'the record\'s key "emp-2" is not its employee_id "emp-1": an employee\'s events must share a key (and so a partition)',
      'standard_ms would grow by 172800000000000000; one event adds a whole number within 0..2147483648',
      "too late: production old belongs to the window from 2026-10-01T00:00:00.000Z, which ended more than the correction horizon (KPI_CORRECTION_HORIZON) before this partition's clock",
    ];
    const codes = ['KPI_ERR_DECODE_NOT_AVRO', 'KPI_ERR_KEY_MISMATCH', 'KPI_ERR_OUT_OF_RANGE', 'KPI_ERR_TOO_LATE'] as const;
    const offsets = [0, 1, 2, 4];
    // Only a record that decoded names its writer schema; the window's own verdicts (range, lateness) are judged after decoding and name none.
    expect(d.deadLetters.map(({ key: _key, value: _value, ...letter }) => letter)).toStrictEqual([
      { topic, partition: 0, offset: 0, timestamp, code: codes[0], message: messages[0] },
      { topic, partition: 0, offset: 1, timestamp, code: codes[1], message: messages[1], schemaId: TEST_SCHEMA_IDS.production },
      { topic, partition: 0, offset: 2, timestamp, code: codes[2], message: messages[2] },
      { topic, partition: 0, offset: 4, timestamp, code: codes[3], message: messages[3] },
    ]);
    expect(lines().filter((line) => line.level === 40)).toEqual([
      ...codes.map((code, i) => ({ level: 40, topic, partition: 0, offset: offsets[i], code, msg: `dead letter: ${messages[i]}` })),
      { level: 40, offset: 6, kind: 'production', msg: 'production now repeats an event_id with other content; the first copy counts' },
    ]);
  });

  test('a refused row is logged with its window, its partition is dropped and read again from the commit, and its record is dead-lettered naming the window', async () => {
    const { logger, lines } = capturedLog();
    const d = new TopologyTestDriver({ refuse: (row) => row.employee_id === 'bad', idleClose: HOUR }, logger);
    const runner = d.streamRunner;
    const topic = INPUTS.production.topic;
    // A first row written and committed, so that the partition resumes from a point of its own.
    await d.pipe('production', production({ employee_id: 'good', event_id: 'g', event_time: day(19, 9) }));
    d.advanceWallClock(2 * HOUR);
    await d.flush();
    await d.pipe('production', production({ employee_id: 'bad', event_id: 'b', event_time: day(20, 9) }));
    d.advanceWallClock(2 * HOUR);
    await runner.flush();
    // Until it is read again, the process holds no task for the partition.
    expect(runner.position(topic, 0)).toBeUndefined();
    await d.flush();
    expect(runner.position(topic, 0)).toBe(2);
    const message = "the window store refused this window's row, so nothing more is added to it (employee bad, window from 2026-11-20T00:00:00.000Z)";
    expect(d.deadLetters.map(({ key: _key, value: _value, ...letter }) => letter)).toStrictEqual([
      { topic, partition: 0, offset: 1, timestamp: Date.UTC(2026, 11, 1, 2), code: 'KPI_ERR_SINK_REJECTED', message },
    ]);
    const resumePoint = { offset: 1, clock: day(19, 9) };
    expect(lines()).toEqual([
      { level: 20, partition: 0, resume: '[]', msg: 'partition 0: task resumes from the committed offsets' },
      {
        level: 50,
        employee: 'bad',
        windowStart: '2026-11-20T00:00:00.000Z',
        partition: 0,
        msg: 'the window store refused this row for good; its records go to the dead letters',
      },
      { level: 30, partition: 0, points: JSON.stringify([[topic, resumePoint]]), msg: 'partition 0: reading again from the last commit' },
      { level: 20, partition: 0, resume: JSON.stringify([['production', resumePoint]]), msg: 'partition 0: task resumes from the committed offsets' },
      { level: 40, topic, partition: 0, offset: 1, code: 'KPI_ERR_SINK_REJECTED', msg: `dead letter: ${message}` },
    ]);
  });
});

/** Live windows that keep, per publish, the employees of its snapshots and their versions; `failWith` makes every publish fail. */
function liveWindowsLog(failWith?: Error): { port: LiveWindows; publishes: [string, number][][] } {
  const publishes: [string, number][][] = [];
  const port: LiveWindows = {
    publish: async (snapshots) => {
      publishes.push(snapshots.map((s) => [s.employee_id, s.version]));
      if (failWith) throw failWith;
    },
  };
  return { port, publishes };
}

describe('live windows', () => {
  test('changed windows are published at once, then at most every 100 ms as they stand then, and the rest at the flush', async () => {
    const live = liveWindowsLog();
    const d = driver({ liveWindows: live.port });
    const pipe = (employee: string, id: string) => d.pipe('production', production({ employee_id: employee, event_id: id, event_time: day(20, 9) }));
    await pipe('emp-1', 'a');
    expect(live.publishes).toEqual([[['emp-1', 1]]]);
    d.advanceWallClock(99);
    await pipe('emp-2', 'b');
    await pipe('emp-2', 'c');
    expect(live.publishes).toEqual([[['emp-1', 1]]]);
    d.advanceWallClock(1);
    await pipe('emp-3', 'd');
    expect(live.publishes).toEqual([
      [['emp-1', 1]],
      [
        ['emp-2', 2],
        ['emp-3', 1],
      ],
    ]);
    // Nothing changed since: the flush publishes nothing.
    await d.flush();
    expect(live.publishes).toHaveLength(2);
    await pipe('emp-1', 'e');
    expect(live.publishes).toHaveLength(2);
    await d.flush();
    expect(live.publishes).toEqual([
      [['emp-1', 1]],
      [
        ['emp-2', 2],
        ['emp-3', 1],
      ],
      [['emp-1', 2]],
    ]);
  });

  test('a publish that fails fails the next flush (which commits nothing past it), not the batch', async () => {
    const live = liveWindowsLog(new Error('alerting topic unreachable'));
    const d = driver({ liveWindows: live.port, idleClose: HOUR });
    await d.pipe('production', production({ event_time: day(20, 9) }));
    // Past the event loop's turn: a rejection nobody handled by now would be reported as unhandled.
    await new Promise((resolve) => setImmediate(resolve));
    d.advanceWallClock(2 * HOUR);
    await expect(d.flush()).rejects.toThrow(new Error('alerting topic unreachable'));
  });

  test('without live alerting, batches encode no snapshots', async () => {
    const d = driver();
    await d.pipe('production', production({ event_time: day(20, 9) }));
    expect(d.metrics.stages.encode).toEqual({ cpuMicros: 0, wallMicros: 0 });
  });
});

/** A runner on in-memory ports (a registry that knows the production schema), with `overrides` in their place. */
function runnerOn(overrides: Partial<RunnerPorts>, logger: Logger = createLogger('silent')): StreamRunner {
  const d = driver();
  const ports: RunnerPorts = {
    store: { current: async () => [], latestWindowStart: async () => null, write: async () => undefined },
    deadLetters: { send: async () => undefined, record: async () => undefined },
    offsets: { committed: async () => new Map(), commit: async () => false },
    codec: new EventCodec(async () => avroTypeOf('production')),
    topics: { topicOf: (kind) => INPUTS[kind].topic, kindOf: (topic) => EVENT_KINDS.find((kind) => INPUTS[kind].topic === topic) },
    rewind: async () => undefined,
    clock: () => Date.UTC(2026, 11, 1),
    ...overrides,
  };
  return new StreamRunner(d.settings, ports, d.metrics, logger);
}

describe('the edges of a batch', () => {
  const topic = INPUTS.production.topic;
  const record = (offset: number, key = 'emp-1') => ({
    offset,
    key: Buffer.from(key),
    value: encodeEvent('production', TEST_SCHEMA_IDS.production, production({ event_id: `p-${offset}`, event_time: day(20, 9) })),
    timestamp: Date.UTC(2026, 11, 1),
  });
  const live = () => ({ heartbeat: async () => undefined, live: () => true });

  test('an empty batch does nothing and asks the registry nothing', async () => {
    let fetches = 0;
    const runner = runnerOn({
      codec: new EventCodec(async () => {
        fetches += 1;
        return avroTypeOf('production');
      }),
    });
    await expect(runner.processBatch(topic, 0, [], live())).resolves.toBeUndefined();
    expect([fetches, runner.position(topic, 0)]).toEqual([0, undefined]);
  });

  test('a batch abandoned before it starts asks the registry nothing and counts nothing', async () => {
    let fetches = 0;
    const sent: unknown[] = [];
    const runner = runnerOn({
      codec: new EventCodec(async () => {
        fetches += 1;
        return avroTypeOf('production');
      }),
      deadLetters: { send: async (letters) => void sent.push(...letters), record: async () => undefined },
    });
    const abandoned = { heartbeat: async () => undefined, live: () => false };
    await expect(runner.processBatch(topic, 0, [record(0, 'emp-2')], abandoned)).resolves.toBeUndefined();
    expect([fetches, sent, runner.openWindows]).toEqual([0, [], 0]);
  });

  test('while the registry is down the batch heartbeats and logs which schemas it waits for, then goes on', async () => {
    const { logger, lines } = capturedLog();
    let down = true;
    let heartbeats = 0;
    const runner = runnerOn(
      {
        codec: new EventCodec(async () => {
          if (down) {
            down = false;
            throw new RegistryUnavailableError('registry down');
          }
          return avroTypeOf('production');
        }),
      },
      logger,
    );
    const context = { heartbeat: async () => void (heartbeats += 1), live: () => true };
    await expect(runner.processBatch(topic, 0, [record(7)], context)).resolves.toEqual({ lastOffset: 7, outcomes: ['accepted'] });
    expect(heartbeats).toBe(1);
    expect(lines().filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ attempt: 1, msg: `fetching schemas for ${topic}[0] at offset 7 failed (registry down); retrying` }),
    ]);
  });

  test('a task whose committed offsets could not be read is started again by the next batch', async () => {
    let failures = 1;
    const runner = runnerOn({
      offsets: {
        committed: async () => {
          if (failures-- > 0) throw new Error('offsets unreadable');
          return new Map();
        },
        commit: async () => false,
      },
    });
    await expect(runner.processBatch(topic, 0, [record(0)], live())).rejects.toThrow(new Error('offsets unreadable'));
    await expect(runner.processBatch(topic, 0, [record(1)], live())).resolves.toEqual({ lastOffset: 1, outcomes: ['accepted'] });
  });

  test("a checkpoint records the batches' dead letters in their table, once", async () => {
    const recorded: number[][] = [];
    const runner = runnerOn({ deadLetters: { send: async () => undefined, record: async (letters) => void recorded.push(letters.map((l) => l.offset)) } });
    await runner.processBatch(topic, 0, [record(0, 'emp-2'), record(1), record(2, 'emp-3')], live());
    await runner.flush();
    await runner.flush();
    expect(recorded).toEqual([[0, 2]]);
  });

  test('after a rebalance reset, the next batch of a partition starts a new task', async () => {
    const d = driver();
    await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9) }));
    d.streamRunner.reset();
    expect(await d.pipe('production', production({ event_id: 'b', event_time: day(20, 10) }))).toBe('accepted');
    expect(d.streamRunner.position(topic, 0)).toBe(2);
  });
});

describe('checkpoints and memory', () => {
  test('a checkpoint asked for while a closing one waits behind a started one joins the closing one', async () => {
    const d = driver();
    await d.pipe('production', production({ event_time: day(20, 9), units: 4 }));
    const runner = d.streamRunner;
    const first = runner.flush();
    const closing = runner.flush(true);
    // Let the first checkpoint start: the closing one is still queued behind it.
    await Promise.resolve();
    expect(runner.flush()).toBe(closing);
    await Promise.all([first, closing]);
  });

  test('the closed-window cache is shared among the partitions held', async () => {
    const d = driver({ closedWindowCache: 2 });
    const runner = d.streamRunner;
    for (const partition of [0, 1]) {
      const employee = `emp-${partition}`;
      for (const [i, dayOfMonth] of [20, 21, 23].entries()) {
        await d.pipe('production', production({ employee_id: employee, event_id: `${employee}-${i}`, event_time: day(dayOfMonth, 9) }), {
          key: employee,
          partition,
        });
      }
    }
    expect((await d.flush()).map((row) => [row.employee_id, row.window_start])).toEqual([
      ['emp-0', day(20)],
      ['emp-0', day(21)],
      ['emp-1', day(20)],
      ['emp-1', day(21)],
    ]);
    await d.flush();
    // One written window kept per partition (2 / 2), with each partition's open one.
    expect([runner.openWindows, runner.windowsInMemory]).toEqual([2, 4]);
  });

  test('windows read back from the store are counted per batch', async () => {
    const d = driver();
    await d.pipe('production', production({ event_id: 'a', event_time: day(20, 9) }));
    await d.pipe('production', production({ event_id: 'b', event_time: day(22, 9) }));
    for (const id of ['c', 'd']) {
      await d.flush();
      await d.flush();
      // The written window left memory: a correction reads it back.
      expect(await d.pipe('production', production({ event_id: id, event_time: day(20, 10) }))).toBe('accepted');
    }
    expect(d.metrics.restoredWindows).toBe(2);
  });

  test('the close-to-queryable latency counts from when the row became due, not from the checkpoint', async () => {
    const d = driver({ idleClose: HOUR });
    await d.pipe('production', production({ event_time: day(20, 9) }));
    d.advanceWallClock(3 * HOUR);
    await d.flush();
    // Idle for an hour, the window closed two hours before the checkpoint.
    expect([d.metrics.closeToQueryable.count, d.metrics.closeToQueryable.sum]).toEqual([1, 2 * 3600]);
  });
});
