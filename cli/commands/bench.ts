import { parseArgs } from 'node:util';
import { measureThroughput } from '../../bench/pipelineThroughput.js';
import { measureStateMemory } from '../../bench/stateMemory.js';
import { servicesUp } from '../../services/index.js';
import type { Command } from '../command.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Measure throughput and memory, with baselines in the same run',
  usage: `Usage: kpi-stream bench [throughput|state|all] [--employees N] [--days N] [--windows N]

  throughput  simulate a plant into the local services (fresh topics and
              database, removed afterwards) and measure: producing, kafkajs
              consuming only, avsc decoding only, Kafka Streams decoding and
              window-aggregating (bench/kafka-streams, built with Maven on
              first use), and the kpi-stream processors end to end (rows and
              inserts into ClickHouse)
  state       heap held per open employee-window (needs node --expose-gc,
              which 'npm run bench' passes)

Defaults: all, --employees 300 --days 30 --windows 20000. Prints figures; asserts nothing.`,
  async run(args, { config, log }) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { employees: { type: 'string', default: '300' }, days: { type: 'string', default: '30' }, windows: { type: 'string', default: '20000' } },
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
    return 0;
  },
};
