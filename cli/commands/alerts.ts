import { parseArgs } from 'node:util';
import { AlertEvaluator, type AlertEvent } from '../../alerting/evaluator.js';
import { flagInputKey } from '../../alerting/inputs.js';
import { describeRule, loadRules } from '../../alerting/rules.js';
import { startAlerting, type Alerting } from '../../alerting/run.js';
import { ConfigError } from '../../core/errors.js';
import { startHealthServer } from '../../core/health.js';
import { createProcessRegistry } from '../../core/metrics.js';
import { parseTime } from '../../core/time.js';
import { loadCatalog } from '../../kpis/extensions.js';
import { modelsOf } from '../../scoring/model.js';
import { withClickHouse } from '../../sinks/clickhouse/client.js';
import { readAnomalies } from '../../sinks/clickhouse/queries/anomalies.js';
import { activeModelVersion, readModelRows } from '../../sinks/clickhouse/queries/scoringModels.js';
import { readWindowSnapshots, windowSpan } from '../../sinks/clickhouse/queries/windowMetrics.js';
import type { Command } from '../command.js';
import { formatTable } from '../table.js';

function instant(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseTime(value);
  if (ms === undefined) throw new ConfigError(key, `expected YYYY-MM-DD or an ISO 8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

/** Alert events as a table: when, what, which scope key and window, the value, the rule's threshold. */
export function alertTable(events: readonly AlertEvent[], extra?: { header: string; cell: (e: AlertEvent) => string | number }): string {
  return formatTable(
    ['event', 'rule', 'severity', 'scope', 'window', 'value', 'threshold', ...(extra ? [extra.header] : [])],
    events.map((e) => [
      e.type === 'alert.firing' ? 'firing' : 'resolved',
      e.rule,
      e.severity,
      e.scope === 'plant' ? 'plant' : `${e.scope} ${e.scope === 'employee' ? e.employee_id : e.station_id}`,
      e.window_start.slice(0, 16),
      e.value === null ? (e.anomaly ?? '-') : Number(e.value.toPrecision(4)),
      e.threshold ?? '-',
      ...(extra ? [extra.cell(e)] : []),
    ]),
  );
}

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'Live alerting: run the evaluator and delivery; check a rules file; test rules on the windows in ClickHouse',
  usage: `Usage: kpi-stream alerts run
       kpi-stream alerts check FILE
       kpi-stream alerts test FILE [--from YYYY-MM-DD] [--to YYYY-MM-DD]

  run     judge the rules of KPI_ALERT_RULES live on the windows the
          processors publish and on detection's flags, write every alert
          event to kpi.alerts.v1, and deliver them from there to
          KPI_ALERT_WEBHOOK_URL (signed, Standard Webhooks) and
          KPI_ALERTMANAGER_URL, retrying until delivered. With
          KPI_METRICS_PORT set, serves Prometheus /metrics, /healthz and
          /readyz on KPI_METRICS_HOST:KPI_METRICS_PORT. SIGTERM stops it;
          another member of the same groups takes over.
  check   validate a rules file and list its rules; a bad rule exits 78
          naming the rule and the field
  test    replay the windows already in ClickHouse (and the flags in
          kpi.anomalies) through the rules of FILE, window by window, and
          print what would have fired and resolved (nothing is sent)`,
  needs: (args) => (args[0] === 'run' ? ['kafka', 'clickhouse'] : args[0] === 'test' ? ['clickhouse'] : []),
  async run(args, { config, log }) {
    const [action, ...rest] = args;
    if (action === 'check' || action === 'test') {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' } } });
      const file = positionals[0];
      if (!file) throw new ConfigError(`alerts ${action}`, 'name the rules file');
      const catalog = await loadCatalog(config.extensions);
      const rules = loadRules(file, catalog);
      if (action === 'check') {
        process.stdout.write(`${file}: ${rules.length} rules\n${rules.map((r) => `  ${describeRule(r)}`).join('\n')}\n`);
        return 0;
      }
      return withClickHouse(config, async (client) => {
        const span = (await windowSpan(client)) ?? { from: 0, to: 0 };
        const range = { from: instant(values.from, '--from') ?? span.from, to: instant(values.to, '--to') ?? span.to };
        const version = await activeModelVersion(client);
        // The rows are of windows written as they closed: every system has reported on them.
        const evaluator = new AlertEvaluator(rules, catalog, modelsOf(await readModelRows(client, version), version).plant, { closed: true });
        for (const flag of await readAnomalies(client, range)) {
          const state = { ...flag, employee_id: flag.employeeId, station_id: flag.stationId, window_start: flag.windowStart, window_end: flag.windowEnd };
          evaluator.applyFlag(flagInputKey(state), { ...state, severity: flag.severity as 'low' | 'medium' | 'high' });
        }
        // Window by window, each judged once it is complete, as time passed in the stream.
        const events: AlertEvent[] = [];
        const snapshots = await readWindowSnapshots(client, catalog, range);
        for (let i = 0; i < snapshots.length;) {
          const start = snapshots[i]!.window_start;
          for (; i < snapshots.length && snapshots[i]!.window_start === start; i += 1) evaluator.applyWindow(snapshots[i]!);
          events.push(...evaluator.evaluate(snapshots[i - 1]!.window_end));
        }
        const firing = events.filter((e) => e.type === 'alert.firing').length;
        process.stdout.write(
          `${snapshots.length} employee-windows from ${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()} through ${rules.length} rules: ` +
            `${firing} alerts would have fired, ${events.length - firing} resolved\n${events.length > 0 ? `${alertTable(events)}\n` : ''}`,
        );
        return 0;
      });
    }
    if (action !== 'run') {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    // The process's registry, served as the processors serve theirs when KPI_METRICS_PORT is set; ready once alerting has started.
    const registry = createProcessRegistry();
    let alerting: Alerting | undefined;
    const health =
      config.metricsPort > 0
        ? await startHealthServer({
            registry,
            host: config.metricsHost,
            port: config.metricsPort,
            log,
            checks: [{ name: 'alerting', check: () => (alerting ? { ok: true, detail: 'started' } : { ok: false, detail: 'starting' }) }],
          })
        : undefined;
    try {
      alerting = await startAlerting(config, log, registry);
      // Each target's deliveries: not ready while one refuses what it is sent.
      if (alerting.delivery) health?.addCheck(alerting.delivery.check);
    } catch (error) {
      await health?.close();
      throw error;
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info({ signal }, 'stopping alerting');
        process.once(signal, () => process.exit(130));
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await alerting.stop();
    await health?.close();
    return 0;
  },
};
