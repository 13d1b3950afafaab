import { Webhook } from 'standardwebhooks';
import { messageOf } from '../core/errors.js';
import { packageVersion } from '../core/paths.js';
import { redactUrl } from '../core/secrets.js';
import type { AlertEvent } from '../contract/alertEvent.js';

/**
 * Where alert events go: a webhook signed per Standard Webhooks, and
 * Alertmanager's API v2. Each call is one attempt; retrying is the delivery
 * worker's job. Redirects are never followed (a redirect could carry a signed
 * alert to another host); the webhook URL's path and query are a token and
 * never shown.
 */
export type TargetName = 'webhook' | 'alertmanager';

/** What one attempt came to. */
export interface Attempt {
  readonly ok: boolean;
  /** The receiver refused it for good (a 4xx but 408, 425 and 429): trying again would be refused again. */
  readonly permanent?: boolean;
  /** HTTP status, 0 without an answer. */
  readonly status: number;
  /** Why it failed, without secrets: the status and the start of the receiver's answer. */
  readonly error: string;
  /** The receiver's Retry-After, ms. */
  readonly retryAfterMs?: number;
}

/** 4xx answers that may pass later: a timeout, too early, too many requests. Every other 4xx is the request's fault. */
const RETRIABLE_CLIENT_ERRORS = new Set([408, 425, 429]);
/** How much of a refusal's answer is kept (one line, as the receiver wrote it). */
const ANSWER_KEPT = 300;

export interface Target {
  readonly name: TargetName;
  /** The URL as it may be shown. */
  readonly shown: string;
  /** One attempt at delivering the events (all of one fingerprint's events in order for the webhook: one request each). */
  send(events: readonly AlertEvent[]): Promise<Attempt>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = httpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = `(?<month>${MONTHS.join('|')})`;
const TIME = '(?<hour>\\d{2}):(?<minute>\\d{2}):(?<second>\\d{2})';
/** RFC 9110 section 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept. */
const HTTP_DATES = [
  new RegExp(`^${DAY}, (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`),
  new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (?<day>\\d{2})-${MONTH}-(?<year>\\d{2}) ${TIME} GMT$`),
  new RegExp(`^${DAY} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`),
];

/**
 * An HTTP date in ms, or undefined. Not Date.parse: it takes almost anything
 * with a number in it for a date ("abc 5" is May 2001, "x 2030" is 2030),
 * which would turn a garbled Retry-After into no wait at all, or the longest.
 */
function httpDate(text: string, now: number): number | undefined {
  const groups = HTTP_DATES.map((form) => form.exec(text)?.groups).find((g) => g !== undefined);
  if (!groups) return undefined;
  let year = Number(groups.year);
  if (groups.year!.length === 2) {
    // RFC 850's two-digit year: the year with those digits at most 50 years ahead, else the latest past one.
    const thisYear = new Date(now).getUTCFullYear();
    year += thisYear - (thisYear % 100);
    if (year > thisYear + 50) year -= 100;
    else if (year <= thisYear - 50) year += 100;
  }
  const [month, day, hour, minute, second] = [
    MONTHS.indexOf(groups.month!),
    Number(groups.day),
    Number(groups.hour),
    Number(groups.minute),
    Number(groups.second),
  ];
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  // Date.UTC rolls 31 Apr over into 1 May: a day its month does not have is no date.
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return undefined;
  return Date.UTC(year, month, day, hour, minute, second);
}

async function post(url: string, shown: string, body: string, headers: Record<string, string>): Promise<Attempt> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `kpi-stream/${packageVersion()}`, ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const answer = await response.text().catch(() => '');
    if (response.ok) return { ok: true, status: response.status, error: '' };
    const after = retryAfterMs(response.headers.get('retry-after'));
    const permanent = response.status >= 400 && response.status < 500 && !RETRIABLE_CLIENT_ERRORS.has(response.status);
    const said = answer.replace(/\s+/g, ' ').trim().slice(0, ANSWER_KEPT);
    const error =
      response.status >= 300 && response.status < 400
        ? `HTTP ${response.status}: a redirect, which is never followed`
        : `HTTP ${response.status}${said === '' ? '' : `: ${said}`}`;
    return { ok: false, permanent, status: response.status, error, ...(after === undefined ? {} : { retryAfterMs: after }) };
  } catch (error) {
    // fetch's messages name the URL at most by origin; the scrubber removes any token all the same.
    return { ok: false, status: 0, error: `${shown}: ${messageOf((error as { cause?: unknown }).cause ?? error)}` };
  }
}

/**
 * The webhook: each event is one POST of its JSON, with headers `webhook-id`
 * (the event's id: the same on every retry, so receivers deduplicate),
 * `webhook-timestamp` and `webhook-signature`, signed with the first (newest)
 * of `secrets`.
 */
export function webhookTarget(url: string, secrets: readonly string[]): Target {
  const signer = new Webhook(secrets[0]!);
  const shown = redactUrl(url, { hidePath: true });
  return {
    name: 'webhook',
    shown,
    async send(events) {
      for (const event of events) {
        const body = JSON.stringify(event);
        const now = new Date();
        const attempt = await post(url, shown, body, {
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signer.sign(event.id, now, body),
        });
        if (!attempt.ok) return attempt;
      }
      return { ok: true, status: 200, error: '' };
    },
  };
}

/**
 * Verifies a webhook request as a receiver should: the signature of any of
 * `secrets` (several while a secret rotates), a timestamp within five
 * minutes. Throws standardwebhooks' WebhookVerificationError otherwise.
 */
export function verifyWebhook(secrets: readonly string[], body: string, headers: Record<string, string>): unknown {
  let last: unknown;
  for (const secret of secrets) {
    try {
      return new Webhook(secret).verify(body, headers);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/**
 * Alertmanager labels of an alert: alertname, severity, scope, the scope key
 * and the window (docs/contract.md). They are the event's: an employee by
 * pseudonym unless the rule discloses the id; the review page is an
 * annotation and the alert's generatorURL.
 */
export function alertmanagerAlert(event: AlertEvent, expiresAt: number): Record<string, unknown> {
  const labels: Record<string, string> = { alertname: event.rule, severity: event.severity, scope: event.scope, window_start: event.window_start };
  if (event.employee_id !== null) labels.employee_id = event.employee_id;
  if (event.station_id !== null && event.scope !== 'employee') labels.station_id = event.station_id;
  const annotations: Record<string, string> = { explanation: event.explanation, fingerprint: event.fingerprint, event_id: event.id };
  if (event.metric !== null) annotations.metric = event.metric;
  if (event.value !== null) annotations.value = String(event.value);
  if (event.threshold !== null) annotations.threshold = String(event.threshold);
  if (event.anomaly !== null) annotations.anomaly = event.anomaly;
  if (event.scope === 'employee' && event.station_id !== null) annotations.station_id = event.station_id;
  if (event.review_url !== null) annotations.review_url = event.review_url;
  return {
    labels,
    annotations,
    ...(event.review_url === null ? {} : { generatorURL: event.review_url }),
    startsAt: event.started_at,
    // A firing alert stays active until resolved, or until no correction could resolve it any more.
    endsAt: event.type === 'alert.resolved' ? event.ended_at : new Date(expiresAt).toISOString(),
  };
}

/**
 * Alertmanager's API v2: the events of a batch in one POST to /api/v2/alerts.
 * `activeFor` is how long a firing alert stays active without a resolution
 * (the correction horizon: past it, no correction can resolve it).
 */
export function alertmanagerTarget(url: string, activeFor: number): Target {
  const shown = redactUrl(url);
  const endpoint = `${url.replace(/\/+$/, '')}/api/v2/alerts`;
  return {
    name: 'alertmanager',
    shown,
    send: (events) => post(endpoint, shown, JSON.stringify(events.map((e) => alertmanagerAlert(e, Date.now() + activeFor))), {}),
  };
}
