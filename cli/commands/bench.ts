import { parseArgs } from 'node:util';
import { measureAlertLatency } from '../../bench/alertLatency.js';
import { measureThroughput } from '../../bench/pipelineThroughput.js';
import { measureStateMemory } from '../../bench/stateMemory.js';
import { servicesUp } from '../../services/index.js';
import type { Command } from '../command.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Measure throughput and memory, with baselines in the same run',
  usage: `Usage: kpi-stream bench [throughput|state|alerts|all] [--employees N] [--days N] [--windows N] [--probes N] [--rate N]

  throughput  simulate a plant into the local services (fresh topics and
              database, removed afterwards) and measure: producing, kafkajs
              consuming only, avsc decoding only, Kafka Streams decoding and
              window-aggregating (bench/kafka-streams, built with Maven on
              first use), and the kpi-stream processors end to end (rows and
              inserts into ClickHouse)
  state       heap held per open employee-window (needs node --expose-gc,
              which 'npm run bench' passes)
  alerts      event-to-alert latency under load: while a plant streams in at
              --rate records/s, --probes records each cross a rule's threshold;
              from producing one to its signed webhook arriving at a local
              receiver (fresh topics and database, removed afterwards)

Defaults: all, --employees 300 --days 30 --windows 20000 --probes 60 --rate 10000.
Prints figures; asserts nothing.`,
  async run(args, { config, log }) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        employees: { type: 'string', default: '300' },
        days: { type: 'string', default: '30' },
        windows: { type: 'string', default: '20000' },
        probes: { type: 'string', default: '60' },
        rate: { type: 'string', default: '10000' },
      },
    });
    const which = positionals[0] ?? 'all';
    if (which === 'state' || which === 'all') {
      const state = await measureStateMemory(Number(values.windows));
      process.stdout.write(
        `state: ${state.windows} open employee-windows of ${state.eventsPerWindow.toFixed(1)} events each hold ${(state.heapDeltaBytes / 2 ** 20).toFixed(1)} MiB of heap: ${Math.round(state.bytesPerWindow)} bytes per window\n`,
      );
    }
    if (which === 'throughput' || which === 'all') {
      await servicesUp(config, log);
      const t = await measureThroughput(config, log, { employees: Number(values.employees), days: Number(values.days) });
      const line = (name: string, r: { seconds: number; perSecond: number }, extra = '') =>
        `  ${name.padEnd(34)} ${r.seconds.toFixed(2).padStart(7)} s ${String(r.perSecond).padStart(9)} records/s  ${(r.perSecond / t.rawConsume.perSecond).toFixed(2).padStart(5)}× raw consume${extra}\n`;
      process.stdout.write(`throughput on ${t.records} records (${values.employees} employees, ${values.days} days):\n`);
      process.stdout.write(line('simulator producing (acks=all)', t.produce));
      process.stdout.write(line('kafkajs consume only (baseline)', t.rawConsume));
      process.stdout.write(line('avsc decode only (baseline)', t.rawDecode));
      process.stdout.write(line('Kafka Streams, 1 thread (baseline)', t.kafkaStreams));
      process.stdout.write(
        line(
          'kpi-stream processors, end to end',
          t.pipeline,
          `, ${t.pipeline.rows} rows in ${t.pipeline.inserts} inserts (${t.pipeline.rowsPerInsert} rows/insert, ${t.pipeline.insertsPerSecond} inserts/s)`,
        ),
      );
    }
    if (which === 'alerts' || which === 'all') {
      await servicesUp(config, log);
      const a = await measureAlertLatency(config, log, {
        employees: Number(values.employees),
        days: Number(values.days),
        probes: Number(values.probes),
        rate: Number(values.rate),
      });
      process.stdout.write(
        `event-to-alert latency (record produced → signed webhook received), ${a.delivered} of ${a.probes} probes, flush interval ${a.flushIntervalMs} ms, ` +
          `under a load of ${a.loadRecords} records at ${a.loadPerSecond} records/s: p50 ${a.p50} ms, p99 ${a.p99} ms, max ${a.max} ms ` +
          `(medians: produced → processors ${a.stages.processed} ms → evaluator ${a.stages.raised} ms → webhook ${a.stages.delivered} ms)\n`,
      );
    }
    return 0;
  },
};
