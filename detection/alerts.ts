import { createHash } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Config } from '../core/config.js';
import { AlertWebhookError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { redactUrl } from '../core/secrets.js';
import type { ClickHouseClient } from '../sinks/clickhouse/client.js';
import { sinkFailure } from '../sinks/clickhouse/client.js';
import { toClickHouseTime } from '../sinks/clickhouse/time.js';
import { alertsTopic } from '../topics/definitions.js';
import { createKafka, createProducer } from '../topics/kafka.js';
import { isInflationFlag, type Flag, type Severity } from './rules.js';

/** An alert: one flag, as it goes to kpi.alerts.v1 (JSON, keyed by employee) and to the webhook. */
export interface Alert {
  alert_id: string;
  employee_id: string;
  station_id: string;
  window_start: string;
  window_end: string;
  kind: Flag['kind'];
  method: Flag['method'];
  severity: Severity;
  reported: number;
  measured: number;
  deviation: number;
  explanation: string;
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

/**
 * The alerts the flags raise: inflation flags at least `minSeverity`, each with
 * a stable id. A measurement gap never raises one: it accuses nobody.
 */
export function alertsFor(flags: readonly Flag[], minSeverity: Severity): Alert[] {
  return flags
    .filter((f) => isInflationFlag(f) && RANK[f.severity] >= RANK[minSeverity])
    .map((f) => ({
      alert_id: createHash('sha1').update(`${f.employeeId}\u0000${f.windowStart}\u0000${f.kind}\u0000${f.method}`).digest('hex'),
      employee_id: f.employeeId,
      station_id: f.stationId,
      window_start: new Date(f.windowStart).toISOString(),
      window_end: new Date(f.windowEnd).toISOString(),
      kind: f.kind,
      method: f.method,
      severity: f.severity,
      reported: f.reported,
      measured: f.measured,
      deviation: f.deviation,
      explanation: f.explanation,
    }));
}

export interface AlertTargets {
  producer: Producer;
  topic: string;
  webhookUrl?: string;
}

/**
 * Sends the alerts not sent before: to the alerts topic (acks=all) and, when
 * configured, as one JSON POST `{ "alerts": [...] }` to the webhook (three
 * tries). Only then are they recorded as sent, so a failure sends them again
 * on the next run rather than never. Returns how many were new.
 */
export async function sendAlerts(client: ClickHouseClient, targets: AlertTargets, alerts: readonly Alert[], log: Logger): Promise<number> {
  if (alerts.length === 0) return 0;
  const sent = new Set<string>();
  try {
    for (let i = 0; i < alerts.length; i += 1000) {
      const result = await client.query({
        query: 'SELECT alert_id FROM alerts_sent FINAL WHERE alert_id IN {ids:Array(String)}',
        query_params: { ids: alerts.slice(i, i + 1000).map((a) => a.alert_id) },
        format: 'JSONEachRow',
      });
      for (const row of await result.json<{ alert_id: string }>()) sent.add(row.alert_id);
    }
  } catch (error) {
    throw sinkFailure(error, 'reading alerts_sent');
  }
  const fresh = alerts.filter((a) => !sent.has(a.alert_id));
  if (fresh.length === 0) return 0;

  await targets.producer.send({ topic: targets.topic, acks: -1, messages: fresh.map((a) => ({ key: a.employee_id, value: JSON.stringify(a) })) });
  if (targets.webhookUrl) await postWithRetries(targets.webhookUrl, { alerts: fresh }, log);
  try {
    await client.insert({
      table: 'alerts_sent',
      format: 'JSONEachRow',
      values: fresh.map((a) => ({
        alert_id: a.alert_id,
        employee_id: a.employee_id,
        station_id: a.station_id,
        window_start: toClickHouseTime(Date.parse(a.window_start)),
        kind: a.kind,
        method: a.method,
        severity: a.severity,
        explanation: a.explanation,
        sent_at: toClickHouseTime(Date.now()),
      })),
    });
  } catch (error) {
    throw sinkFailure(error, 'recording sent alerts');
  }
  log.info(
    { alerts: fresh.length, topic: targets.topic, webhook: targets.webhookUrl ? redactUrl(targets.webhookUrl, { hidePath: true }) : null },
    `sent ${fresh.length} new alerts`,
  );
  return fresh.length;
}

async function postWithRetries(url: string, body: unknown, log: Logger): Promise<void> {
  // The URL's path or query is often the webhook's token: only its origin is ever shown.
  const shown = redactUrl(url, { hidePath: true });
  let last = '';
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = messageOf(error);
    }
    log.warn({ attempt, url: shown }, `alert webhook failed (${last})`);
    if (attempt < 3) await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
  }
  throw new AlertWebhookError(`alert webhook ${shown} failed 3 times (${last}); the alerts will be sent again on the next run`);
}

/** Sends the alerts new flags raise (KPI_ALERT_MIN_SEVERITY and worse) to kpi.alerts.v1 and, when set, KPI_ALERT_WEBHOOK_URL. */
export async function sendFlagAlerts(config: Config, client: ClickHouseClient, flags: readonly Flag[], log: Logger): Promise<number> {
  const producer = createProducer(createKafka(config, 'kpi-stream-alerts', log), { allowAutoTopicCreation: false });
  await producer.connect();
  try {
    return await sendAlerts(
      client,
      { producer, topic: alertsTopic(config), ...(config.alertWebhookUrl ? { webhookUrl: config.alertWebhookUrl } : {}) },
      alertsFor(flags, config.alertMinSeverity),
      log,
    );
  } finally {
    await producer.disconnect();
  }
}
