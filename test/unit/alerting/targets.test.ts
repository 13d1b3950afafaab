import { createServer, type Server } from 'node:http';
import { alertmanagerTarget, webhookTarget } from '../../../alerting/targets.js';
import type { AlertEvent } from '../../../contract/alertEvent.js';

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

test('2xx is delivered; no answer at all is retried', async () => {
  answer = { status: 204, body: '', headers: {} };
  expect(await webhookTarget(`${url}/hook`, [secret]).send([event])).toEqual({ ok: true, status: 200, error: '' });
  const nobody = await webhookTarget('http://127.0.0.1:9/hook', [secret]).send([event]);
  expect(nobody).toMatchObject({ ok: false, status: 0 });
  expect(nobody.permanent).toBeFalsy();
});
