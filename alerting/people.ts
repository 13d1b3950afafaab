import { pseudonymKey, type Config } from '../core/config.js';
import { pseudonymOf } from '../privacy/pseudonym.js';
import type { AlertEvent } from '../contract/alertEvent.js';

/**
 * What an alert event says about a person once it leaves the database (the
 * outbox kpi.alerts.v1, which others may read, the webhook and Alertmanager):
 * by default the employee's pseudonym, a link to the review page and a
 * neutral line, never the id nor the accusation with its figures; a rule
 * that says `disclose: true` names the employee and explains as before. The
 * evaluator applies it once, as it builds each event, so every target gets
 * the same (docs/alerting.md, "People in alert events").
 */
export interface AlertPrivacy {
  /** KPI_PSEUDONYM_KEY (core/config.ts `pseudonymKey`). */
  readonly pseudonymKey: string;
  /** KPI_APP_URL: the people app, where a reviewer sees the flag. */
  readonly appUrl: string;
}

/**
 * The key and the app's address of a process that builds alert events. Call
 * it at start-up: without KPI_PSEUDONYM_KEY beside CLICKHOUSE_URL it throws a
 * ConfigError naming the key, before anything is judged or sent.
 */
export function alertPrivacyOf(config: Config): AlertPrivacy {
  return { pseudonymKey: pseudonymKey(config), appUrl: config.appUrl };
}

/** The review page of an alert about a person: the people app's page of its fingerprint (the person's window). */
export function reviewUrlOf(appUrl: string, fingerprint: string): string {
  return `${appUrl}/flags/${encodeURIComponent(fingerprint)}`;
}

/** One line that names nobody and gives no figure about the person: what the alert is, and where a reviewer looks. */
export function neutralExplanation(event: Pick<AlertEvent, 'type' | 'metric' | 'review_url'>): string {
  const firing = event.type === 'alert.firing';
  if (event.metric === null) {
    return firing ? `A flag about a person was confirmed on review: ${event.review_url}` : `A flag about a person no longer stands: ${event.review_url}`;
  }
  return firing
    ? `A person's ${event.metric} breaches an alert rule; see ${event.review_url}`
    : `A person's ${event.metric} no longer breaches the alert rule; see ${event.review_url}`;
}

/** An employee-scope event as it leaves the database by default: the pseudonym for the id, the neutral line for the explanation. */
export function pseudonymised(event: AlertEvent, pseudonym: string): AlertEvent {
  return { ...event, employee_id: pseudonym, explanation: neutralExplanation(event) };
}

/** Caches each employee's pseudonym: the evaluator asks for it at every judgement. */
export class Pseudonyms {
  private readonly known = new Map<string, string>();

  constructor(private readonly key: string) {}

  of(employeeId: string): string {
    let pseudonym = this.known.get(employeeId);
    if (pseudonym === undefined) this.known.set(employeeId, (pseudonym = pseudonymOf(this.key, employeeId)));
    return pseudonym;
  }
}
