import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';
import { freePort } from '../../../core/net.js';
import { until } from './processor.js';

const run = promisify(execFile);

/**
 * Prometheus' own tools for the tests, built from the Go module proxy with the
 * machine's Go: promcheck (the exposition parser and linter, small) and, for
 * the long suite, Prometheus itself. Modules, build cache and binaries live in
 * KPI_SERVICES_DIR/go (git-ignored), so only the first build downloads.
 */
export const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus/cmd/prometheus@v0.316.0';
const PROMCHECK_SOURCE = join(projectRoot(), 'test', 'integration', 'support', 'promcheck');

function goEnvironment(config: Config): NodeJS.ProcessEnv {
  const go = join(config.servicesPath, 'go');
  return {
    ...process.env,
    GOPATH: go,
    GOMODCACHE: join(go, 'mod'),
    GOCACHE: join(go, 'cache'),
    // A module cache that `rm -rf` can delete; the machine's Go, never a downloaded toolchain.
    GOFLAGS: '-modcacherw',
    GOTOOLCHAIN: 'local',
  };
}

async function goBuild(what: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<void> {
  try {
    await run('go', args, { ...options, maxBuffer: 1 << 26 });
  } catch (error) {
    const detail = error as { code?: string; message: string; stderr?: string };
    const reason = detail.code === 'ENOENT' ? 'the `go` command is not installed (Go 1.26+ is needed)' : (detail.stderr?.trim() || detail.message).slice(-4000);
    throw new Error(`could not build ${what} from the Go module proxy: ${reason}`, { cause: error });
  }
}

/** Builds promcheck (test/integration/support/promcheck) once per version of its source; returns the binary. */
export async function buildPromcheck(config: Config): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(PROMCHECK_SOURCE, file)));
  const binary = join(config.servicesPath, 'go', 'bin', `promcheck-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  const started = Date.now();
  await goBuild('promcheck', ['build', '-o', binary, '.'], { cwd: PROMCHECK_SOURCE, env: goEnvironment(config) });
  process.stdout.write(`built promcheck (prometheus/common expfmt, client_golang promlint) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return binary;
}

/** One series of a metric family, as Prometheus' parser read it. */
export interface ParsedSample {
  readonly labels: Record<string, string>;
  readonly value?: number;
  readonly count?: number;
  readonly sum?: number;
  /** Cumulative count per upper bound ("0.005", …, "+Inf"). */
  readonly buckets?: Record<string, number>;
}

export interface ParsedFamily {
  readonly name: string;
  readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  readonly help: string;
  readonly samples: ParsedSample[];
}

export interface Exposition {
  readonly families: ParsedFamily[];
  /** What promlint (`promtool check metrics`) says about each metric. */
  readonly problems: { metric: string; text: string }[];
}

/** Parses and lints a text exposition with promcheck; rejects with the parser's message when it does not parse. */
export function checkExposition(promcheck: string, text: string): Promise<Exposition> {
  return new Promise((resolve, reject) => {
    const child = spawn(promcheck, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as Exposition) : reject(new Error(stderr.trim() || `promcheck exited ${code}`))));
    child.stdin.end(text);
  });
}

/** The family of that name, or undefined. */
export function family(exposition: Exposition, name: string): ParsedFamily | undefined {
  return exposition.families.find((f) => f.name === name);
}

/** Sum of a counter's or gauge's samples whose labels include `where`. */
export function total(exposition: Exposition, name: string, where: Record<string, string> = {}): number {
  return (family(exposition, name)?.samples ?? [])
    .filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + (s.value ?? s.count ?? 0), 0);
}

/**
 * Installs Prometheus with `go install` (about 2.5 GB of modules and half an
 * hour of building on two cores, the first time); returns the binary.
 */
export async function installPrometheus(config: Config): Promise<string> {
  const version = PROMETHEUS_MODULE.split('@')[1]!;
  const bin = join(config.servicesPath, 'go', 'bin', `prometheus-${version}`);
  const binary = join(bin, 'prometheus');
  if (existsSync(binary)) return binary;
  process.stdout.write(`building Prometheus (go install ${PROMETHEUS_MODULE}) into ${bin}: the first time takes long\n`);
  const started = Date.now();
  mkdirSync(bin, { recursive: true });
  await goBuild('Prometheus', ['install', PROMETHEUS_MODULE], { env: { ...goEnvironment(config), GOBIN: bin } });
  process.stdout.write(`built Prometheus in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
  return binary;
}

/** A Prometheus server of a test's own, scraping the given targets every second. */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(binary: string, config: Config, targets: readonly string[], logFile: string): Promise<PrometheusServer> {
    const dir = mkdtempSync(join(config.servicesPath, 'prometheus-test-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: kpi-stream',
        '    static_configs:',
        `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    const child = spawn(
      binary,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir);
    await until(
      `Prometheus answers on ${server.url}/-/ready (its log: ${logFile})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`Prometheus exited with ${child.exitCode}; its log: ${logFile}`);
        return fetch(`${server.url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      60_000,
    );
    return server;
  }

  /** An instant query through the HTTP API: each series' labels and value. */
  async query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
    return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  /** The value of a query that yields one series (undefined when it yields none). */
  async scalar(promql: string): Promise<number | undefined> {
    const result = await this.query(promql);
    if (result.length > 1) throw new Error(`${promql} gave ${result.length} series, expected one`);
    return result[0]?.value;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
