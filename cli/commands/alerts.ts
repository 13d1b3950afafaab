import { parseArgs } from 'node:util';
import { describeRule, loadRules } from '../../alerting/rules.js';
import { startAlerting, type Alerting } from '../../alerting/run.js';
import { ConfigError } from '../../core/errors.js';
import { startHealthServer } from '../../core/health.js';
import { createProcessRegistry } from '../../core/metrics.js';
import { loadCatalog } from '../../kpis/extensions.js';
import { withClickHouse } from '../../sinks/clickhouse/client.js';
import type { Command } from '../command.js';
import { parseInstant } from '../args.js';
import { alertTable } from '../table.js';
import { replayRules } from '../../alerting/replay.js';
import { alertPrivacyOf } from '../../alerting/people.js';

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
          print what would have fired and resolved (nothing is sent;
          people by pseudonym, as they would be sent)`,
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
      const privacy = alertPrivacyOf(config);
      return withClickHouse(config, async (client) => {
        const replay = await replayRules(client, rules, catalog, privacy, {
          from: parseInstant(values.from, '--from'),
          to: parseInstant(values.to, '--to'),
        });
        const firing = replay.events.filter((e) => e.type === 'alert.firing').length;
        process.stdout.write(
          `${replay.windows} employee-windows from ${new Date(replay.from).toISOString()} to ${new Date(replay.to).toISOString()} through ${rules.length} rules: ` +
            `${firing} alerts would have fired, ${replay.events.length - firing} resolved\n${replay.events.length > 0 ? `${alertTable(replay.events)}\n` : ''}`,
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
