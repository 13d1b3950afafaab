import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ServiceError } from '../core/errors.js';
import { run } from './processes.js';

/** Major version printed by `java -version`, or undefined when the binary does not run. */
async function javaMajor(java: string): Promise<number | undefined> {
  try {
    const { code, stderr, stdout } = await run(java, ['-version'], { timeoutMs: 20_000 });
    if (code !== 0) return undefined;
    const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr + stdout);
    if (!match) return undefined;
    const major = Number(match[1]);
    return major === 1 ? Number(match[2]) : major;
  } catch {
    return undefined;
  }
}

/**
 * The first Java binary of at least `minMajor` among: `explicit` (a config
 * value), $JAVA_HOME, `java` on PATH, and the JDKs under /usr/lib/jvm.
 */
export async function findJava(service: string, minMajor: number, explicit?: { key: string; value: string | undefined }): Promise<string> {
  if (explicit?.value) {
    const major = await javaMajor(explicit.value);
    if (major === undefined) throw new ServiceError(service, `${explicit.key}=${explicit.value} does not run as java`);
    if (major < minMajor) throw new ServiceError(service, `${explicit.key}=${explicit.value} is Java ${major}; Java ${minMajor} or newer is needed`);
    return explicit.value;
  }
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  candidates.push('java');
  if (existsSync('/usr/lib/jvm')) {
    for (const jdk of readdirSync('/usr/lib/jvm').sort().reverse()) candidates.push(join('/usr/lib/jvm', jdk, 'bin', 'java'));
  }
  const seen: string[] = [];
  for (const java of candidates) {
    const major = await javaMajor(java);
    if (major === undefined) continue;
    if (major >= minMajor) return java;
    seen.push(`${java} (Java ${major})`);
  }
  const found = seen.length > 0 ? `found only ${seen.join(', ')}` : 'no java found in JAVA_HOME, PATH or /usr/lib/jvm';
  const hint = explicit ? `; install one or set ${explicit.key}` : '; install one or set JAVA_HOME';
  throw new ServiceError(service, `needs Java ${minMajor} or newer: ${found}${hint}`);
}

/**
 * Copies the dependencies a pom declares into `outputDir` with Maven, from
 * Maven Central, once: a marker file holding the pom's hash makes later calls
 * no-ops until the pom changes. Returns whether anything was downloaded.
 */
export async function resolveWithMaven(
  service: string,
  options: { pom: string; outputDir: string; repository: string; extraArgs?: string[] },
): Promise<boolean> {
  const hash = createHash('sha256').update(readFileSync(options.pom)).digest('hex');
  const marker = join(options.outputDir, '.resolved');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === hash) return false;
  mkdirSync(options.outputDir, { recursive: true });
  await runMaven(
    service,
    options.repository,
    ['-f', options.pom, 'dependency:copy-dependencies', `-DoutputDirectory=${options.outputDir}`, ...(options.extraArgs ?? [])],
    'download from Maven Central',
  );
  writeFileSync(marker, hash);
  return true;
}

/**
 * Runs Maven quietly in batch mode with kpi-stream's own local repository.
 * A missing `mvn` or a failing build throws a ServiceError naming `service`
 * and showing the end of Maven's output.
 */
export async function runMaven(service: string, repository: string, args: string[], what: string): Promise<void> {
  let result;
  try {
    result = await run('mvn', ['-B', '-q', `-Dmaven.repo.local=${repository}`, ...args]);
  } catch (error) {
    throw new ServiceError(service, 'Maven (mvn) is not on PATH: it downloads the service from Maven Central', { cause: error });
  }
  if (result.code !== 0) {
    const output = (result.stdout + result.stderr).trim().split('\n').slice(-15).join('\n');
    throw new ServiceError(service, `${what} failed (mvn exit ${result.code}):\n${output}`);
  }
}
