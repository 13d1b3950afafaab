import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { measureAlertLatency } from '../../bench/alertLatency.js';
import { renderMarkdown } from '../../bench/report.js';
import { clearPreloads } from '../../bench/preload.js';
import { FULL_PLAN, QUICK_PLAN, measured, runBenchmark, runPipelineAlone, saveResult } from '../../bench/run.js';
import { measureStateMemory } from '../../bench/stateMemory.js';
import { MAX_WORKERS } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { projectRoot } from '../../core/paths.js';
import { servicesUp } from '../../services/index.js';
import type { Command } from '../command.js';

const BEGIN = '<!-- bench:begin (written by npm run bench) -->';
const END = '<!-- bench:end -->';

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new ConfigError(`--${name}`, `expected a whole number of at least 1, got ${JSON.stringify(value)}`);
  return parsed;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Measure throughput, latency, scale-out and memory, with baselines in the same run',
  usage: `Usage: kpi-stream bench [--quick] [--employees N] [--days N] [--workers N]
       kpi-stream bench pipeline [--employees N] [--days N]
       kpi-stream bench memory [--windows N] [--json]
       kpi-stream bench alerts [--employees N] [--days N] [--probes N] [--rate N]
       kpi-stream bench clear

  (no sub-command)  on the local services, one stage after the other on the
              same records: kafka-consumer-perf-test (the broker's ceiling),
              kafkajs consuming only, avsc decoding only, Kafka Streams (built
              with Maven on first use), the kpi-stream processors end to end
              until every row is queryable (one worker alone, in this process;
              then one kpi-stream run process with its worker threads), 2 and
              3 processor processes of one worker each (and a rebalance
              mid-stream), and the memory of 10k, 100k and 1M open
              employee-windows. The plant (4,600 employees x 30 days, about
              5.1 million records) is simulated into topics bench.<size>.* on
              the first run and reused by later ones. Writes
              bench/results/<date>-full.json and the tables in BENCHMARKS.md.
  --quick     a plant of 300 employees x 10 days, 2 processes, 10k windows:
              about 3 minutes on a busy 2-core machine once the plant and the Java baselines exist;
              writes bench/results/<date>-quick.json, leaves BENCHMARKS.md
  --employees, --days   another plant size (its own topics, kept too)
  --workers N the worker threads of the one process measured with its
              workers (KPI_WORKERS; default: the cores available)
  pipeline    only the processors end to end, on the full plant unless
              --employees/--days say otherwise (preloaded as above): one
              line of figures, to compare two builds in a minute or two
  memory      heap and array buffers held per open employee-window in this
              process (needs node --expose-gc, which 'npm run bench' passes)
  alerts      event-to-alert latency under load: while a plant (--employees,
              --days; 300 x 30 unless given) streams in at --rate records/s
              (10000), --probes records (60) each cross a rule's threshold;
              from producing one to its signed webhook arriving at a local
              receiver (fresh topics and database, removed afterwards)
  clear       delete every bench.* topic: the preloaded plants

Prints the tables; asserts nothing.`,
  async run(args, { config, log }) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        employees: { type: 'string' },
        days: { type: 'string' },
        windows: { type: 'string', default: '20000' },
        json: { type: 'boolean', default: false },
        probes: { type: 'string', default: '60' },
        rate: { type: 'string', default: '10000' },
        workers: { type: 'string' },
      },
    });
    const which = positionals[0];
    if (which === 'memory') {
      const result = measureStateMemory(count('windows', values.windows)!);
      process.stdout.write(
        values.json
          ? `${JSON.stringify(result)}\n`
          : `${result.windows} open employee-windows of ${result.eventsPerWindow} events: ${result.bytesPerWindow} bytes each (${result.heapBytesPerWindow} heap + ${result.arrayBufferBytesPerWindow} array buffers); ${result.heapUsedMiB} MiB heap, ${result.rssMiB} MiB resident\n`,
      );
      return 0;
    }
    if (which === 'alerts') {
      await servicesUp(config, log);
      const a = await measured(log, 'event-to-alert latency under load', () =>
        measureAlertLatency(config, log, {
          employees: count('employees', values.employees) ?? 300,
          days: count('days', values.days) ?? 30,
          probes: count('probes', values.probes)!,
          rate: count('rate', values.rate)!,
        }),
      );
      process.stdout.write(
        `event-to-alert latency (record produced → signed webhook received), ${a.delivered} of ${a.probes} probes, flush interval ${a.flushIntervalMs} ms, ` +
          `under a load of ${a.loadRecords} records at ${a.loadPerSecond} records/s: p50 ${a.p50} ms, p99 ${a.p99} ms, max ${a.max} ms ` +
          `(medians: produced → processors ${a.stages.processed} ms → evaluator ${a.stages.raised} ms → webhook ${a.stages.delivered} ms; ` +
          `the slowest, ${a.slowest.latency} ms: ${a.slowest.processed} → ${a.slowest.raised} → ${a.slowest.delivered} ms; ` +
          `load average ${a.load[0]} → ${a.load[1]})\n`,
      );
      return 0;
    }
    if (which === 'pipeline') {
      await servicesUp(config, log);
      const p = await runPipelineAlone(config, log, {
        employees: count('employees', values.employees) ?? FULL_PLAN.plant.employees,
        days: count('days', values.days) ?? FULL_PLAN.plant.days,
      });
      const c = p.closeToQueryable;
      process.stdout.write(
        `kpi-stream processors end to end: ${p.records} records in ${p.seconds} s (start-up ${p.startupSeconds} s): ${p.perSecond} records/s, ` +
          `${p.threadCpuMicros} µs of CPU per record; ${p.rows} rows in ${p.inserts} inserts; close → queryable p50 ${c.p50} s, p99 ${c.p99} s, ` +
          `${(100 * c.within2s).toFixed(1)}% within 2 s; load average ${p.load[0]} → ${p.load[1]}\n` +
          `per record, µs: ${Object.entries(p.stages)
            .map(([stage, cost]) => `${stage} ${cost.cpuMicros} CPU / ${cost.wallMicros} wall`)
            .join(', ')}, other CPU ${p.otherCpuMicros}\n`,
      );
      return 0;
    }
    if (which === 'clear') {
      const deleted = await clearPreloads(config, log);
      process.stdout.write(`deleted ${deleted.length} benchmark topics\n`);
      return 0;
    }
    if (which !== undefined) {
      process.stderr.write(`kpi-stream bench: unknown sub-command ${JSON.stringify(which)}\n`);
      return 2;
    }
    const plan = values.quick ? QUICK_PLAN : FULL_PLAN;
    const plant = { employees: count('employees', values.employees) ?? plan.plant.employees, days: count('days', values.days) ?? plan.plant.days };
    await servicesUp(config, log);
    const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
    const workers = count('workers', values.workers) ?? plan.workers;
    if (workers > MAX_WORKERS) throw new ConfigError('--workers', `at most ${MAX_WORKERS} (KPI_WORKERS' bound), got ${workers}`);
    const result = await runBenchmark(config, log, { ...plan, plant, workers }, command);
    const file = relative(projectRoot(), saveResult(result));
    const markdown = renderMarkdown(result, file);
    process.stdout.write(`\n${markdown}`);
    if (result.kind === 'full') {
      const benchmarks = join(projectRoot(), 'BENCHMARKS.md');
      const text = existsSync(benchmarks) ? readFileSync(benchmarks, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
      const begin = text.indexOf(BEGIN);
      const end = text.indexOf(END);
      if (begin < 0 || end < begin) throw new Error(`BENCHMARKS.md has no ${BEGIN} … ${END} section for the tables`);
      writeFileSync(benchmarks, `${text.slice(0, begin + BEGIN.length)}\n${markdown}${text.slice(end)}`);
      process.stdout.write(`\nwrote ${file} and the tables in BENCHMARKS.md\n`);
    } else {
      process.stdout.write(`\nwrote ${file}\n`);
    }
    return 0;
  },
};
