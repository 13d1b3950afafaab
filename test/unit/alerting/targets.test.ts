import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookVerificationError } from 'standardwebhooks';
import type { AlertEvent } from '../../../contract/alertEvent.js';
import { alertmanagerAlert, alertmanagerTarget, retryAfterMs, verifyWebhook, webhookTarget } from '../../../alerting/targets.js';

const SECRET = `whsec_${Buffer.from('a secret of thirty-two bytes....').toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.from('the secret before the rotation..').toString('base64')}`;

const firing: AlertEvent = {
  type: 'alert.firing',
  id: 'id-1',
  fingerprint: 'fp-1',
  rule: 'low-efficiency',
  severity: 'medium',
  scope: 'employee',
  employee_id: 'e_5d41402abc4b2a76b9719d91', // a pseudonym, as the evaluator sends an employee by default
  station_id: 'S3',
  window_start: '2026-11-02T00:00:00.000Z',
  window_end: '2026-11-03T00:00:00.000Z',
  metric: 'efficiency',
  value: 0.5,
  threshold: 0.6,
  anomaly: null,
  explanation: "A person's efficiency breaches an alert rule; see https://people.example/flags/fp-1",
  started_at: '2026-11-03T08:00:00.000Z',
  ended_at: null,
  observed_at: '2026-11-03T07:59:59.000Z',
  review_url: 'https://people.example/flags/fp-1',
};
const resolved: AlertEvent = { ...firing, type: 'alert.resolved', id: 'id-2', ended_at: '2026-11-03T09:00:00.000Z' };

/** A local HTTP receiver answering each request with the next of `answers` (status, headers), recording what it got. */
async function receiver(answers: { status: number; headers?: Record<string, string> }[]) {
  const requests: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      requests.push({ url: req.url!, headers: req.headers, body });
      const answer = answers[Math.min(requests.length, answers.length) - 1]!;
      res.writeHead(answer.status, answer.headers ?? {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('Retry-After', () => {
  const now = Date.UTC(2026, 10, 2, 12);
  test('seconds or an HTTP date, in ms from now; a date past is 0; absent or unreadable is undefined', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 5 ', now)).toBe(5_000);
    expect(retryAfterMs(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(retryAfterMs(new Date(now - 30_000).toUTCString(), now)).toBe(0);
    expect([null, '', '  ', 'soon', 'later5', '5s'].map((header) => retryAfterMs(header, now))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test('an HTTP date is read in any of the three forms RFC 9110 names, the obsolete ones too', () => {
    const now = Date.UTC(2026, 10, 2, 12);
    const forms = ['Mon, 02 Nov 2026 12:00:30 GMT', 'Monday, 02-Nov-26 12:00:30 GMT', 'Mon Nov  2 12:00:30 2026', 'Thu Nov 12 12:00:30 2026'];
    expect(forms.map((header) => retryAfterMs(header, now))).toEqual([30_000, 30_000, 30_000, 10 * 86_400_000 + 30_000]);
    // The last second of a year, and a leap second (a second like any other).
    expect(retryAfterMs('Thu, 31 Dec 2026 23:59:59 GMT', now)).toBe(Date.UTC(2026, 11, 31, 23, 59, 59) - now);
    expect(retryAfterMs('Mon, 02 Nov 2026 12:00:60 GMT', now)).toBe(60_000);
  });

  test("RFC 850's two-digit year is at most 50 years ahead, else the latest past year with those digits", () => {
    const now = Date.UTC(2026, 10, 2, 12);
    expect(retryAfterMs('Monday, 02-Nov-76 12:00:30 GMT', now)).toBe(Date.UTC(2076, 10, 2, 12, 0, 30) - now);
    expect(retryAfterMs('Monday, 02-Nov-77 12:00:30 GMT', now)).toBe(0); // 1977
    // Late in a century the digits of early years lie ahead: in 2080, 10 is 2110 (30 years ahead), 31 is 2031 (2131 is 51 ahead).
    const later = Date.UTC(2080, 10, 2, 12);
    expect(retryAfterMs('Saturday, 02-Nov-30 12:00:30 GMT', later)).toBe(Date.UTC(2130, 10, 2, 12, 0, 30) - later);
    expect(retryAfterMs('Sunday, 02-Nov-10 12:00:30 GMT', later)).toBe(Date.UTC(2110, 10, 2, 12, 0, 30) - later);
    expect(retryAfterMs('Sunday, 02-Nov-31 12:00:30 GMT', later)).toBe(0);
  });

  test('a Retry-After that is neither seconds nor a real HTTP date is unreadable, however much of a date Date.parse would make of it', () => {
    const now = Date.UTC(2026, 10, 2, 12);
    const garbled = [
      'abc 5', // Date.parse: May 2001, so no wait at all
      'x 2030', // Date.parse: 2030, so the longest wait
      '1.5',
      '-1',
      '2026-11-02T12:00:30Z',
      'mon, 02 nov 2026 12:00:30 gmt',
      'Mon, 02 Nov 2026 12:00:30',
      'Mon, 2 Nov 2026 12:00:30 GMT',
      'Mon, 31 Apr 2026 12:00:30 GMT',
      'Mon, 02 Nov 2026 24:00:00 GMT',
      'Mon, 02 Nov 2026 12:60:00 GMT',
      'Mon, 02 Nov 2026 12:00:61 GMT',
    ];
    expect(garbled.map((header) => [header, retryAfterMs(header, now)])).toEqual(garbled.map((header) => [header, undefined]));
  });
});

describe('webhook', () => {
  test('each event is one signed POST of its JSON, with its id as webhook-id; a receiver verifies it with any current secret', async () => {
    const r = await receiver([{ status: 204 }]);
    try {
      const attempt = await webhookTarget(`${r.url}/hooks/t0ken`, [SECRET, OLD_SECRET]).send([firing, resolved]);
      expect(attempt).toEqual({ ok: true, status: 200, error: '' });
      expect(r.requests.map((q) => [q.url, q.headers['webhook-id'], q.headers['content-type'], JSON.parse(q.body).type])).toEqual([
        ['/hooks/t0ken', 'id-1', 'application/json', 'alert.firing'],
        ['/hooks/t0ken', 'id-2', 'application/json', 'alert.resolved'],
      ]);
      const { body, headers } = r.requests[0]!;
      expect(headers['user-agent']).toMatch(/^kpi-stream\/\d+\.\d+\.\d+/);
      expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      const signed = { 'webhook-id': String(headers['webhook-id']), 'webhook-timestamp': String(headers['webhook-timestamp']) };
      const signature = String(headers['webhook-signature']);
      // Signed with the newest secret: verified by it alone, by a list holding it, never by the old one alone.
      expect(verifyWebhook([SECRET], body, { ...signed, 'webhook-signature': signature })).toEqual(firing);
      expect(verifyWebhook([OLD_SECRET, SECRET], body, { ...signed, 'webhook-signature': signature })).toEqual(firing);
      // A request no secret verifies throws the last secret's verification error, not something vaguer.
      expect(() => verifyWebhook([OLD_SECRET], body, { ...signed, 'webhook-signature': signature })).toThrow(
        new WebhookVerificationError('No matching signature found'),
      );
      expect(() => verifyWebhook([SECRET], body.replace('0.5', '0.9'), { ...signed, 'webhook-signature': signature })).toThrow(
        new WebhookVerificationError('No matching signature found'),
      );
    } finally {
      await r.close();
    }
  });

  test('a refusal stops the batch there, says the status and passes on Retry-After; the URL path is never shown', async () => {
    const r = await receiver([{ status: 503, headers: { 'retry-after': '7' } }]);
    try {
      const target = webhookTarget(`${r.url}/hooks/t0ken`, [SECRET]);
      expect(target.shown).toBe(`${r.url}/[redacted]`);
      expect(await target.send([firing, resolved])).toEqual({ ok: false, permanent: false, status: 503, error: 'HTTP 503', retryAfterMs: 7_000 });
      expect(r.requests).toHaveLength(1);
    } finally {
      await r.close();
    }
  });

  test('a redirect is never followed (it could carry a signed alert elsewhere); no answer is status 0', async () => {
    const r = await receiver([{ status: 307, headers: { location: 'http://127.0.0.1:1/elsewhere' } }, { status: 500 }]);
    try {
      const target = webhookTarget(`${r.url}/hooks/t0ken`, [SECRET]);
      expect(await target.send([firing])).toEqual({ ok: false, permanent: false, status: 307, error: 'HTTP 307: a redirect, which is never followed' });
      expect(await target.send([firing])).toEqual({ ok: false, permanent: false, status: 500, error: 'HTTP 500' });
      expect(r.requests.map((q) => q.url)).toEqual(['/hooks/t0ken', '/hooks/t0ken']);
    } finally {
      await r.close();
    }
    const unreachable = await webhookTarget(`${r.url}/hooks/t0ken`, [SECRET]).send([firing]);
    expect(unreachable).toMatchObject({ ok: false, status: 0 });
    expect(unreachable.error.startsWith(`${r.url}/[redacted]: `)).toBe(true);
    expect(unreachable.error).not.toContain('t0ken');
  });
});

describe('Alertmanager', () => {
  test('an alert has the rule, severity, scope, window and pseudonym as labels, the figures and review page as annotations; a firing one ends when no correction can resolve it', () => {
    const expiresAt = Date.UTC(2026, 11, 8);
    expect(alertmanagerAlert(firing, expiresAt)).toEqual({
      labels: {
        alertname: 'low-efficiency',
        severity: 'medium',
        scope: 'employee',
        window_start: '2026-11-02T00:00:00.000Z',
        employee_id: 'e_5d41402abc4b2a76b9719d91',
      },
      annotations: {
        explanation: firing.explanation,
        fingerprint: 'fp-1',
        event_id: 'id-1',
        metric: 'efficiency',
        value: '0.5',
        threshold: '0.6',
        station_id: 'S3',
        review_url: 'https://people.example/flags/fp-1',
      },
      generatorURL: 'https://people.example/flags/fp-1',
      startsAt: '2026-11-03T08:00:00.000Z',
      endsAt: '2026-12-08T00:00:00.000Z',
    });
    expect(alertmanagerAlert(resolved, expiresAt).endsAt).toBe('2026-11-03T09:00:00.000Z');
    const station = alertmanagerAlert({ ...firing, scope: 'station', employee_id: null, value: 0, metric: 'defect_rate', review_url: null }, expiresAt);
    expect(station).not.toHaveProperty('generatorURL');
    expect(station.labels).toEqual({ alertname: 'low-efficiency', severity: 'medium', scope: 'station', window_start: firing.window_start, station_id: 'S3' });
    expect(station.annotations).toEqual({
      explanation: firing.explanation,
      fingerprint: 'fp-1',
      event_id: 'id-1',
      metric: 'defect_rate',
      value: '0',
      threshold: '0.6',
    });
    const anomaly = alertmanagerAlert({ ...firing, metric: null, value: null, threshold: null, anomaly: 'units_overclaim', station_id: null }, expiresAt);
    expect(anomaly.annotations).toEqual({
      explanation: firing.explanation,
      fingerprint: 'fp-1',
      event_id: 'id-1',
      anomaly: 'units_overclaim',
      review_url: 'https://people.example/flags/fp-1',
    });
  });

  test("a batch is one POST to the API v2's alerts endpoint; a firing alert stays active for the correction horizon", async () => {
    const r = await receiver([{ status: 200 }]);
    try {
      const horizon = 35 * 86_400_000;
      const before = Date.now();
      const target = alertmanagerTarget(`${r.url}/am/`, horizon);
      expect(target.shown).toBe(`${r.url}/am/`);
      expect(await target.send([firing, resolved])).toEqual({ ok: true, status: 200, error: '' });
      expect(r.requests.map((q) => q.url)).toEqual(['/am/api/v2/alerts']);
      // However many slashes the configured URL ends in.
      await alertmanagerTarget(`${r.url}/am///`, horizon).send([firing]);
      expect(r.requests.map((q) => q.url)).toEqual(['/am/api/v2/alerts', '/am/api/v2/alerts']);
      const posted = JSON.parse(r.requests[0]!.body) as { labels: Record<string, string>; endsAt: string }[];
      expect(posted.map((a) => a.labels.alertname)).toEqual(['low-efficiency', 'low-efficiency']);
      expect(Date.parse(posted[0]!.endsAt) - before).toBeGreaterThanOrEqual(horizon);
      expect(Date.parse(posted[0]!.endsAt) - Date.now()).toBeLessThanOrEqual(horizon);
      expect(posted[1]!.endsAt).toBe(resolved.ended_at);
    } finally {
      await r.close();
    }
  });
});

describe('refusals and retries', () => {
  /** A receiver answering every request with `status` and `body`. */
  let server: Server;
  let answer = { status: 204, body: '', headers: {} as Record<string, string> };
  let url = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(answer.status, answer.headers).end(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const event = { id: 'e1', fingerprint: 'f1', type: 'alert.firing', window_start: '2026-11-27T00:00:00.000Z' } as AlertEvent;
  const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

  test.each([400, 401, 403, 404, 410, 413, 422])('HTTP %i is a refusal for good, with the start of the answer', async (status) => {
    answer = { status, body: `{"message":"no such hook"}\n${'x'.repeat(1000)}`, headers: {} };
    for (const target of [webhookTarget(`${url}/hook`, [secret]), alertmanagerTarget(url, 1000)]) {
      const attempt = await target.send([event]);
      expect(attempt).toMatchObject({
        ok: false,
        permanent: true,
        status,
        error: expect.stringMatching(new RegExp(`^HTTP ${status}: \\{"message":"no such hook"\\} x+$`)),
      });
      expect(attempt.error.length).toBeLessThan(400);
    }
  });

  test.each([408, 425, 429, 500, 502, 503])('HTTP %i may pass later: retried', async (status) => {
    answer = { status, body: '', headers: { 'retry-after': '2' } };
    expect(await webhookTarget(`${url}/hook`, [secret]).send([event])).toEqual({
      ok: false,
      permanent: false,
      status,
      error: `HTTP ${status}`,
      retryAfterMs: 2000,
    });
  });

  test("the answer's whitespace is folded and trimmed; HTTP 300 is a redirect too", async () => {
    answer = { status: 500, body: '  temporarily\n\n  down  ', headers: {} };
    expect(await webhookTarget(`${url}/hook`, [secret]).send([event])).toMatchObject({ status: 500, error: 'HTTP 500: temporarily down' });
    answer = { status: 300, body: 'choose', headers: {} };
    expect(await webhookTarget(`${url}/hook`, [secret]).send([event])).toMatchObject({ status: 300, error: 'HTTP 300: a redirect, which is never followed' });
  });

  test('a refusal without Retry-After carries no retryAfterMs at all (delivery then backs off on its own)', async () => {
    answer = { status: 503, body: '', headers: {} };
    expect(await webhookTarget(`${url}/hook`, [secret]).send([event])).toStrictEqual({ ok: false, permanent: false, status: 503, error: 'HTTP 503' });
  });

  test('a refusal whose answer breaks off is reported by its status alone', async () => {
    // The status line and headers arrive, then the connection drops before the promised body.
    const broken = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'content-length': '100' });
        res.flushHeaders();
        res.write('half an ans', () => res.socket?.end());
      });
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    try {
      const at = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
      expect(await webhookTarget(`${at}/hook`, [secret]).send([event])).toStrictEqual({ ok: false, permanent: false, status: 500, error: 'HTTP 500' });
    } finally {
      await new Promise<void>((resolve) => broken.close(() => resolve()));
    }
  });

  test('2xx is delivered; no answer at all is retried, and the error says why', async () => {
    answer = { status: 204, body: '', headers: {} };
    expect(await webhookTarget(`${url}/hook`, [secret]).send([event])).toEqual({ ok: true, status: 200, error: '' });
    // Port 2: nothing listens there, fetch does not block it (it refuses port 9 itself, before connecting),
    // and it lies below the ephemeral range, so no other test's socket can take it meanwhile.
    const port = 2;
    const nobody = await webhookTarget(`http://127.0.0.1:${port}/hook`, [secret]).send([event]);
    expect(nobody).toStrictEqual({ ok: false, status: 0, error: expect.any(String) });
    // fetch's own message is only "fetch failed": the reason is its cause (an Error of another realm here, hence the prefix).
    expect(nobody.error).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\[redacted\\]: (Error: )?connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`));
  });
});
