import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhook } from '../alerting/targets.js';
import { loadConfig, pseudonymKey, type Config } from '../core/config.js';
import { pseudonymOf } from '../privacy/pseudonym.js';
import type { Logger } from '../core/logger.js';
import { distFile } from '../core/paths.js';
import { DAY, HOUR } from '../core/time.js';
import { startPipeline } from '../processors/kafka/bootstrap.js';
import { createClickHouseClient } from '../sinks/clickhouse/client.js';
import { simulateOptions } from '../simulator/run.js';
import { inputTopic } from '../topics/definitions.js';
import { deleteTopics } from './preload.js';
import { kafkaClient } from '../topics/client/client.js';
import { createRegistry, registerInputSchemas } from '../topics/registry.js';
import type { AlertEvent } from '../contract/alertEvent.js';

export interface AlertLatencyResult {
  readonly probes: number;
  readonly delivered: number;
  /** Event-to-alert latencies, ms: p50, p99, max. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** The load the processors took meanwhile. */
  readonly loadRecords: number;
  readonly loadPerSecond: number;
  readonly flushIntervalMs: number;
  /** Medians of the stages, ms: produced → processors applied it, → the evaluator raised the alert, → the webhook arrived. */
  readonly stages: ProbeStages;
  /** The slowest probe's latency and stages, ms: where a tail spends its time. */
  readonly slowest: ProbeStages & { readonly latency: number };
}

/** A probe's way to the webhook, ms: produced → processors applied it, → the evaluator raised the alert, → the webhook arrived. */
export interface ProbeStages {
  readonly processed: number;
  readonly raised: number;
  readonly delivered: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/**
 * Event-to-alert latency under load: while a simulated plant streams into the
 * local broker at `rate` records/s (the processors taking it as it comes),
 * probe records are produced now and then, each an inspection that puts an
 * employee's open window over a rule's threshold. A probe's
 * latency runs from just before it is produced to its signed webhook
 * arriving at a local receiver (which verifies the signature): processors,
 * live-window publishing, the evaluator, the outbox and delivery, with the
 * default flush interval unless KPI_FLUSH_INTERVAL says otherwise.
 */
export async function measureAlertLatency(
  base: Config,
  log: Logger,
  options: { employees: number; days: number; probes: number; rate: number },
): Promise<AlertLatencyResult> {
  const id = `bench_alerts_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'kpi-bench-alerts-'));
  const rules = join(dir, 'rules.yaml');
  writeFileSync(
    rules,
    'rules:\n  - { name: probe-defects, metric: defect_rate, scope: employee, above: 0.25, min_sample: 30, cooldown: 0s, severity: high }\n',
  );
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const arrived = new Map<string, number>();
  /** Per probe: when the processors applied it (observed_at) and when the evaluator raised its alert (started_at). */
  const stages = new Map<string, { observed: number; raised: number }>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        verifyWebhook([secret], body, req.headers as Record<string, string>);
      } catch {
        res.writeHead(401).end();
        return;
      }
      const event = JSON.parse(body) as AlertEvent;
      if (event.type === 'alert.firing' && event.employee_id !== null && !arrived.has(event.employee_id)) {
        arrived.set(event.employee_id, at);
        stages.set(event.employee_id, { observed: Date.parse(event.observed_at!), raised: Date.parse(event.started_at!) });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const config = loadConfig({
    ...process.env,
    KPI_TOPIC_PREFIX: `${id}.`,
    CLICKHOUSE_DATABASE: id,
    KPI_GROUP_ID: id,
    KPI_ALERT_RULES: rules,
    KPI_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/bench`,
    KPI_ALERT_WEBHOOK_SECRET: secret,
    LOG_LEVEL: base.logLevel,
  });
  const quiet = log.child({ component: 'bench' });
  const key = pseudonymKey(config);
  const plant = simulateOptions({ employees: options.employees, days: options.days, rate: options.rate, duplicateRate: 0.01, out: join(dir, 'simulation') });
  // Probes belong to the plant's last day, so no simulated record makes them late, nor they a simulated one.
  const probeTime = plant.start + (plant.days - 1) * DAY + 12 * HOUR;
  const env = {
    ...process.env,
    KPI_TOPIC_PREFIX: config.topicPrefix,
    CLICKHOUSE_DATABASE: config.clickhouseDatabase,
    KPI_GROUP_ID: config.groupId,
    KPI_ALERT_RULES: rules,
    KPI_ALERT_WEBHOOK_URL: config.alertWebhookUrl!,
    KPI_ALERT_WEBHOOK_SECRET: secret,
    LOG_LEVEL: 'warn',
  };
  const pipeline = await startPipeline(config, quiet, {});
  // Live alerting runs as it is deployed: a process of its own beside the processors.
  const alerting = spawn(process.execPath, [distFile('cli/main.js'), 'alerts', 'run'], {
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    alerting.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('judging rules live')) resolve();
    });
    alerting.once('exit', (code) => reject(new Error(`alerts run exited with ${code}: ${output.slice(-2000)}`)));
  });
  const producer = kafkaClient(config, 'kpi-stream-bench-probes', quiet).producer();
  await producer.connect();
  const registry = createRegistry(config);
  const ids = await registerInputSchemas(registry, config, quiet);
  const sent = new Map<string, number>();
  try {
    quiet.info(`streaming ${options.employees} employees × ${options.days} days at ${options.rate} records/s, with ${options.probes} probes`);
    const started = Date.now();
    // The load comes from a process of its own, as a plant's sources do: it does not share the processors' thread.
    const simulator = spawn(
      process.execPath,
      [
        distFile('cli/main.js'),
        'simulate',
        '--employees',
        String(plant.employees),
        '--days',
        String(plant.days),
        '--rate',
        String(options.rate),
        '--out',
        plant.out,
      ],
      { env, stdio: 'ignore' },
    );
    let loadDone = false;
    const load = new Promise<number>((resolve, reject) =>
      simulator.once('exit', (code) => {
        loadDone = true;
        if (code === 0) resolve((JSON.parse(readFileSync(join(plant.out, 'summary.json'), 'utf8')) as { sent: number }).sent);
        else reject(new Error(`the simulator exited with ${code}`));
      }),
    );
    const probe = (i: number, defective: number, suffix: string) =>
      registry.encode(ids.inspection, {
        event_id: `probe-${id}-${i}-${suffix}`,
        employee_id: `PROBE-${String(i).padStart(4, '0')}`,
        station_id: 'SP',
        work_order_id: 'wo-probe',
        production_time: probeTime,
        inspected_time: probeTime + HOUR,
        units_inspected: 20,
        units_defective: defective,
        defect_codes: defective > 0 ? ['D01'] : [],
      });
    const topic = inputTopic(config, 'inspection');
    // Each probe's window is opened one tick before the record that crosses the threshold (5 % defective, not judged
    // yet: 20 units inspected of the 30 needed), as a window under way holds an employee's day: what is timed is the
    // record that crossed it (then 30 % over 40 units).
    const open = async (i: number) => {
      const employee = `PROBE-${String(i).padStart(4, '0')}`;
      await producer.send(topic, [{ key: employee, value: await probe(i, 1, 'open') }]);
    };
    await open(0);
    for (let i = 0; i < options.probes; i += 1) {
      if (i + 1 < options.probes) await open(i + 1);
      await new Promise((resolve) => setTimeout(resolve, loadDone ? 200 : 500));
      const employee = `PROBE-${String(i).padStart(4, '0')}`;
      const value = await probe(i, 11, 'cross');
      sent.set(pseudonymOf(key, employee), Date.now()); // its alert names it by pseudonym
      await producer.send(topic, [{ key: employee, value }]);
    }
    const loadRecords = await load;
    const loadSeconds = (Date.now() - started) / 1000;
    const deadline = Date.now() + 120_000;
    while (arrived.size < sent.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const latencies = [...sent].flatMap(([employee, at]) => (arrived.has(employee) ? [arrived.get(employee)! - at] : [])).sort((a, b) => a - b);
    const median = (values: number[]) =>
      percentile(
        values.sort((a, b) => a - b),
        0.5,
      );
    const probes = [...sent].filter(([employee]) => stages.has(employee) && arrived.has(employee));
    const stagesOf = ([e, at]: [string, number]): ProbeStages => ({
      processed: stages.get(e)!.observed - at,
      raised: stages.get(e)!.raised - stages.get(e)!.observed,
      delivered: arrived.get(e)! - stages.get(e)!.raised,
    });
    if (probes.length === 0) throw new Error(`none of the ${sent.size} probes' alerts reached the webhook within 120 s: see the alerting log`);
    const slowest = probes.reduce((a, b) => (arrived.get(b[0])! - b[1] > arrived.get(a[0])! - a[1] ? b : a));
    return {
      probes: sent.size,
      delivered: latencies.length,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1)!,
      loadRecords,
      loadPerSecond: Math.round(loadRecords / loadSeconds),
      flushIntervalMs: config.flushInterval,
      stages: {
        processed: median(probes.map((p) => stagesOf(p).processed)),
        raised: median(probes.map((p) => stagesOf(p).raised)),
        delivered: median(probes.map((p) => stagesOf(p).delivered)),
      },
      slowest: { latency: arrived.get(slowest[0])! - slowest[1], ...stagesOf(slowest) },
    };
  } finally {
    await producer.disconnect();
    await pipeline.stop();
    alerting.kill('SIGTERM');
    await new Promise((resolve) => (alerting.exitCode !== null ? resolve(undefined) : alerting.once('exit', resolve)));
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
    await deleteTopics(config, quiet, config.topicPrefix).catch(() => undefined);
    const client = createClickHouseClient(config, { withDatabase: false });
    await client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouseDatabase}` }).catch(() => undefined);
    await client.close();
  }
}
