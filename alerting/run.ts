import { Registry } from 'prom-client';
import type { Config } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { loadCatalog } from '../kpis/extensions.js';
import { modelsOf } from '../scoring/model.js';
import { withClickHouse } from '../sinks/clickhouse/client.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { activeModelVersion, readModelRows } from '../sinks/clickhouse/queries/scoringModels.js';
import { createKafka, ensureDeploymentTopics } from '../topics/kafka.js';
import { DeliveryWorker, configuredTargets } from './delivery.js';
import { AlertingEvaluator } from './service.js';
import { loadRules, type AlertRule } from './rules.js';
import { alertPrivacyOf } from './people.js';

/** Live alerting in one process: the evaluator (when there are rules) and the delivery worker (when there are targets). */
export interface Alerting {
  readonly rules: readonly AlertRule[];
  readonly evaluator: AlertingEvaluator | undefined;
  readonly delivery: DeliveryWorker | undefined;
  stop(): Promise<void>;
}

/**
 * Starts live alerting: validates the rules (KPI_ALERT_RULES; a bad rule
 * throws ConfigError naming it) and the pseudonym key (KPI_PSEUDONYM_KEY,
 * required with CLICKHOUSE_URL), creates missing topics and tables, then
 * runs the evaluator and the delivery worker (KPI_ALERT_WEBHOOK_URL,
 * KPI_ALERTMANAGER_URL). Their metrics go to `registry` (the process's).
 */
export async function startAlerting(config: Config, log: Logger, registry: Registry = new Registry()): Promise<Alerting> {
  const catalog = await loadCatalog(config.extensions);
  const rules = config.alertRules ? loadRules(config.alertRules, catalog) : [];
  // Before anything connects: a deployment without KPI_PSEUDONYM_KEY stops here, naming it.
  const privacy = alertPrivacyOf(config);
  const targets = configuredTargets(config);
  if (rules.length === 0 && targets.length === 0) {
    throw new ConfigError(
      'KPI_ALERT_RULES',
      'nothing to do: set KPI_ALERT_RULES to judge rules, and a target (KPI_ALERT_WEBHOOK_URL, KPI_ALERTMANAGER_URL) to deliver',
    );
  }
  await ensureDeploymentTopics(createKafka(config, 'kpi-stream-alerting-admin', log), config, log);
  await migrate(config, log, catalog);
  const model = await withClickHouse(config, async (client) => {
    const version = await activeModelVersion(client);
    return modelsOf(await readModelRows(client, version), version).plant;
  });

  const evaluator =
    rules.length > 0 ? new AlertingEvaluator(config, log.child({ component: 'alert-evaluator' }), { rules, catalog, model, privacy }, registry) : undefined;
  const delivery =
    targets.length > 0
      ? new DeliveryWorker(config, log.child({ component: 'alert-delivery' }), registry, {
          targets,
          batchSize: config.alertDeliveryBatch,
          maxBackoffMs: config.alertRetryMaxBackoff,
        })
      : undefined;
  await evaluator?.start();
  await delivery?.start();
  log.info(
    `alerting: ${rules.length} rules${evaluator ? ' judged live' : ''}; delivering to ${targets.map((t) => `${t.name} ${t.shown}`).join(' and ') || 'no target (events stay in the outbox)'}`,
  );
  return {
    rules,
    evaluator,
    delivery,
    async stop() {
      await evaluator?.stop();
      await delivery?.stop();
    },
  };
}
