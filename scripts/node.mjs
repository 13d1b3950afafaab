#!/usr/bin/env node
// The Node.js kpi-stream runs on. The supported lines are package.json's
// `engines.node`. On a machine whose Node is outside them (Node 20, past its
// end of life), the pinned release of the deployment line is fetched from the
// npm registry (package node-linux-<cpu>: the plain `node` binary) into .tools/
// (git-ignored) once, and runs kpi-stream instead, so the README's commands
// work on any Node that can run npm.
// Plain JavaScript on purpose: it runs before anything is installed, on any Node.
//
//   node scripts/node.mjs exec COMMAND [ARG…]  run COMMAND with a supported Node first in PATH
//   node scripts/node.mjs bin [LINE]           print the directory of the pinned release's `node`
//                                              of LINE (default: the deployment line), fetched if missing
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The release kpi-stream fetches for each supported line; the first is the deployment line (the Docker image's). */
export const PINNED_RELEASES = ['24.21.0', '22.23.3'];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');

/** package.json's `engines.node`: `^X.Y.Z` alternatives joined by `||`, one per supported line. */
export function supportedRange() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;
}

/** Whether a Node version (`v24.1.0` or `24.1.0`) is in a range of `^X.Y.Z` alternatives. */
export function satisfies(version, range) {
  const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number);
  return range.split('||').some((alternative) => {
    const caret = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(alternative);
    if (!caret) throw new Error(`kpi-stream: engines.node in package.json must be ^X.Y.Z alternatives joined by ||, not "${range}"`);
    const [, lineMajor, lineMinor, linePatch] = caret.map(Number);
    return major === lineMajor && (minor > lineMinor || (minor === lineMinor && patch >= linePatch));
  });
}

/** The npm package holding the plain `node` binary for this machine (published for the pinned releases on Linux only). */
function binaryPackage() {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    throw new Error(`kpi-stream: no Node package to fetch for ${process.platform}-${process.arch}: install Node ${supportedRange()} and put it first in PATH`);
  }
  return `node-linux-${process.arch}`;
}

/** The directory holding `node` of a pinned release; fetched into .tools/ unless it is there already. */
export function installedRelease(version) {
  const name = binaryPackage();
  const home = join(toolsDir, `${name}-${version}`);
  const bin = join(home, 'bin');
  if (existsSync(join(bin, 'node'))) return bin;

  process.stderr.write(`kpi-stream: fetching Node ${version} (npm package ${name}@${version}) into ${home}\n`);
  mkdirSync(toolsDir, { recursive: true });
  // Unpacked beside its final place and renamed into it, so a run interrupted half-way or a concurrent one leaves no partial Node.
  const staging = mkdtempSync(join(toolsDir, '.staging-'));
  try {
    const pack = spawnSync('npm', ['pack', `${name}@${version}`, '--pack-destination', staging, '--json', '--loglevel=error'], {
      cwd: staging,
      encoding: 'utf8',
    });
    if (pack.status !== 0) throw new Error(`kpi-stream: npm could not fetch ${name}@${version}: ${(pack.stderr || pack.error?.message || '').trim()}`);
    const [{ filename }] = JSON.parse(pack.stdout);
    const unpacked = join(staging, 'package');
    mkdirSync(unpacked);
    const tar = spawnSync('tar', ['-xzf', join(staging, filename), '-C', unpacked, '--strip-components=1'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`kpi-stream: cannot unpack ${filename}: ${(tar.stderr || tar.error?.message || '').trim()}`);
    const answered = spawnSync(join(unpacked, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (answered !== `v${version}`) throw new Error(`kpi-stream: ${name}@${version} holds a node that answers "${answered}", not v${version}`);
    try {
      renameSync(unpacked, home);
    } catch (error) {
      if (!existsSync(join(bin, 'node'))) throw error; // else a concurrent run put it there first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

/**
 * The directory of the Node that runs kpi-stream: this one when its line is
 * supported, otherwise the pinned release of the deployment line.
 */
export function supportedNodeBin() {
  const range = supportedRange();
  if (satisfies(process.version, range)) return dirname(process.execPath);
  const [release] = PINNED_RELEASES;
  process.stderr.write(`kpi-stream: Node ${process.version} is not supported (package.json engines: ${range}); running on Node ${release} from .tools/\n`);
  return installedRelease(release);
}

/** The environment with a Node's directory first in PATH, so `node` and npm's `#!/usr/bin/env node` scripts run on it. */
export function withNodeFirst(bin, env = process.env) {
  return { ...env, PATH: `${bin}${delimiter}${env.PATH ?? ''}` };
}

/** Runs a command on a supported Node and exits as it does. */
function exec(command, args) {
  const child = spawn(command, args, { stdio: 'inherit', env: withNodeFirst(supportedNodeBin()) });
  // SIGTERM (npm, timeout, docker) is passed on. A terminal's Ctrl-C already reaches the child, which shares the foreground
  // process group: passing SIGINT on as well would deliver it twice, and a second SIGINT stops a processor without its clean shutdown.
  const forward = (signal) => {
    if (signal !== 'SIGINT' || !process.stdin.isTTY) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`kpi-stream: cannot run ${command}: ${error.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [verb, ...rest] = process.argv.slice(2);
  try {
    if (verb === 'exec' && rest.length > 0) exec(rest[0], rest.slice(1));
    else if (verb === 'bin' && rest.length <= 1) {
      const line = rest[0] ?? PINNED_RELEASES[0].split('.')[0];
      const release = PINNED_RELEASES.find((v) => v.split('.')[0] === line);
      if (!release) throw new Error(`kpi-stream: no pinned Node release for line ${line} (pinned: ${PINNED_RELEASES.join(', ')})`);
      process.stdout.write(`${installedRelease(release)}\n`);
    } else {
      process.stderr.write('usage: node scripts/node.mjs exec COMMAND [ARG…] | bin [LINE]\n');
      process.exit(64);
    }
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
