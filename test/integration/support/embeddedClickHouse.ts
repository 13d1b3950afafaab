import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../core/net.js';
import { distFile } from '../../../core/paths.js';

const run = promisify(execFile);

export interface EmbeddedClickHouse {
  readonly url: string;
  readonly env: NodeJS.ProcessEnv;
  /** `kpi-stream services <args> clickhouse` against this instance. */
  services(action: 'up' | 'down' | 'status'): Promise<string>;
  stop(): Promise<void>;
}

/**
 * An embedded ClickHouse of a test's own (own data directory and port), started
 * and stopped through the CLI as a user would, with the settings `env` gives.
 */
export async function startEmbeddedClickHouse(env: Record<string, string>): Promise<EmbeddedClickHouse> {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-embedded-ch-'));
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, KPI_SERVICES_DIR: dir, KPI_CLICKHOUSE_PORT: String(port) };
  delete childEnv.CLICKHOUSE_URL;
  const services = async (action: 'up' | 'down' | 'status') => {
    const { stdout, stderr } = await run(process.execPath, [distFile('cli/main.js'), 'services', action, 'clickhouse'], { env: childEnv });
    return stdout + stderr;
  };
  await services('up');
  return {
    url: `http://127.0.0.1:${port}`,
    env: childEnv,
    services,
    async stop() {
      await services('down');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A ClickHouse HTTP answer, as a client gets it. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Send {
  method?: 'GET' | 'POST';
  params?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sent as HTTP Basic credentials. */
  credentials?: { user: string; password: string };
  signal?: AbortSignal;
}

/** One request to a ClickHouse HTTP interface at `url`, exactly as given (no header or parameter added but the credentials). */
export function sendTo(url: string, { method = 'POST', params = {}, headers = {}, body, credentials, signal }: Send = {}): Promise<Answer> {
  const target = new URL(url);
  for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
  const allHeaders: Record<string, string> = { ...headers };
  if (credentials) allHeaders.Authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request(target, { method, headers: allHeaders, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
