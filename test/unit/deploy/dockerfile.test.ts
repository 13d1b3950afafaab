import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../core/config.js';
import { projectRoot } from '../../../core/paths.js';
import { PINNED_RELEASES } from '../../../scripts/node.mjs';

/**
 * No Docker engine here: this reads the Dockerfile and checks that its
 * instructions, as written, build an image that holds what kpi-stream needs
 * and runs on the deployment line of Node.js.
 */
interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string[];
  /** The instruction's text after its flags. */
  text: string;
}
interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

const root = projectRoot();
const read = (file: string) => readFileSync(join(root, file), 'utf8');

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logicalLines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of logicalLines) {
    const [keyword = '', ...words] = line.split(/\s+/);
    const flags: Record<string, string> = {};
    while (words[0]?.startsWith('--')) {
      const [flag, value = ''] = words.shift()!.slice(2).split('=');
      flags[flag!] = value;
    }
    const rest = words.join(' ');
    const args = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : words;
    const instruction = { keyword: keyword.toUpperCase(), flags, args, text: rest };
    if (instruction.keyword === 'FROM') stages.push({ image: args[0]!, name: args[2], instructions: [] });
    else stages.at(-1)!.instructions.push(instruction);
  }
  return stages;
}

const stages = parseDockerfile(read('Dockerfile'));
const build = stages[0]!;
const runtime = stages.at(-1)!;
const ignored = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const manifest = JSON.parse(read('package.json')) as { scripts: Record<string, string>; files: string[] };
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const workdir = (stage: Stage) => of(stage, 'WORKDIR').at(-1)?.args[0] ?? '/';

test('both stages run on the deployment line of Node.js, the release kpi-stream pins first', () => {
  const deploymentLine = PINNED_RELEASES[0]!.split('.')[0];
  expect(stages.length).toBeGreaterThan(0);
  for (const stage of stages) expect(stage.image).toBe(`node:${deploymentLine}-bookworm-slim`);
});

test('what the build stage copies from the context is there, and the context leaves out local installs, builds and service data', () => {
  for (const copy of of(build, 'COPY')) {
    expect(copy.flags.from).toBeUndefined();
    for (const source of copy.args.slice(0, -1)) {
      expect(existsSync(join(root, source))).toBe(true);
      expect(ignored).not.toContain(source);
    }
  }
  for (const local of ['node_modules', 'dist', '.svc', '.tools', 'out', '.git']) expect(ignored).toContain(local);
});

test("the build stage installs the packages, then compiles as `npm run build` does (its tsc, without the prebuild's install)", () => {
  const runs = of(build, 'RUN').map((r) => r.text);
  const tsc = /\btsc -p \S+/.exec(manifest.scripts.build!)![0];
  const install = runs.findIndex((r) => /^npm (install|ci)\b/.test(r));
  const compile = runs.findIndex((r) => r.includes(`npx ${tsc}`));
  expect(install).toBeGreaterThanOrEqual(0);
  expect(compile).toBeGreaterThan(install);
  for (const run of runs) for (const [, script] of run.matchAll(/\bnpm run (\S+)/g)) expect(Object.keys(manifest.scripts)).toContain(script);
  // The whole context is copied before the compile: the sources are in it.
  const copyAll = build.instructions.findIndex((i) => i.keyword === 'COPY' && i.args[0] === '.');
  const compileAt = build.instructions.findIndex((i) => i.keyword === 'RUN' && i.text.includes(`npx ${tsc}`));
  expect(copyAll).toBeGreaterThanOrEqual(0);
  expect(copyAll).toBeLessThan(compileAt);
});

test('the runtime stage gets everything kpi-stream reads when it runs, from what the build stage has', () => {
  const copies = of(runtime, 'COPY');
  for (const copy of copies) expect(copy.flags.from).toBe(build.name);
  const copied = copies.map((c) => posix.relative(workdir(build), c.args[0]!));
  // Made by the build stage: node_modules by the install, dist by the build; everything else comes with the context.
  for (const path of copied) {
    if (!['node_modules', 'dist'].includes(path)) expect(existsSync(join(root, path))).toBe(true);
  }
  const destination = (copy: Instruction) => {
    const target = copy.args.at(-1)!;
    return posix.join(workdir(runtime), target.endsWith('/') ? posix.join(target, posix.basename(copy.args[0]!)) : target);
  };
  const destinations = copies.map(destination);
  // The published package's files, less the local services' Maven files (the image uses servers: docker-compose.yml).
  const needed = ['package.json', 'node_modules', ...manifest.files.filter((f) => !f.startsWith('services/') && !f.startsWith('!'))].map((f) =>
    f.replace(/\/\*\.\w+$/, ''),
  );
  for (const path of needed) expect(destinations).toContain(posix.join(workdir(runtime), path));
});

test('what the published package leaves out (the development tools) is removed before the runtime stage copies dist', () => {
  const leftOut = manifest.files.filter((f) => f.startsWith('!')).map((f) => f.slice(1));
  expect(leftOut).toContain('dist/tools');
  const runs = of(build, 'RUN').map((r) => r.text);
  for (const path of leftOut) expect(runs.some((r) => new RegExp(`\\brm -rf (\\S+ )*${path}\\b`).test(r))).toBe(true);
});

test('the image serves metrics and probes on every interface of the container, on the port docker-compose.yml and Kubernetes use', () => {
  const env = Object.fromEntries(of(runtime, 'ENV').flatMap((e) => e.args.map((a) => a.split('=') as [string, string])));
  const config = loadConfig(env);
  expect(config.metricsHost).toBe('0.0.0.0');
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { environment?: Record<string, string> }> };
  expect(String(config.metricsPort)).toBe(compose.services['kpi-stream']?.environment?.KPI_METRICS_PORT);
  expect(read('deploy/kubernetes/configmap.yaml')).toContain(`KPI_METRICS_PORT: '${config.metricsPort}'`);
  expect(of(runtime, 'EXPOSE').map((e) => e.args[0])).toEqual([String(config.metricsPort)]);
});

test('the image and docker-compose.yml run the built CLI', () => {
  const [entrypoint] = of(runtime, 'ENTRYPOINT');
  expect(entrypoint?.args).toEqual(['node', 'dist/cli/main.js']);
  expect(existsSync(join(root, 'cli', 'main.ts'))).toBe(true);
  // Every kpi-stream service runs a command of that CLI through the image's entrypoint.
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { entrypoint?: string[]; command?: string[] }> };
  expect(compose.services['kpi-stream-analytics']?.entrypoint).toBeUndefined();
  expect(compose.services['kpi-stream-analytics']?.command).toEqual(['analytics']);
  expect(compose.services['kpi-stream-alerting']?.command).toEqual(['alerts', 'run']);
});

test('the identity provider of the demo profile is a stage of its own, never the default image: development dependencies, tools/idp, non-root', () => {
  const idp = stages.find((stage) => stage.name === 'idp')!;
  expect(idp).toBeDefined();
  expect(idp).not.toBe(runtime);
  expect(of(idp, 'ENTRYPOINT')[0]?.args).toEqual(['node', 'dist/tools/idp/main.js']);
  expect(existsSync(join(root, 'tools', 'idp', 'main.ts'))).toBe(true);
  expect(of(idp, 'USER').at(-1)?.args).toEqual(['node']);
  const env = Object.fromEntries(of(idp, 'ENV').flatMap((e) => e.args.map((a) => a.split('=') as [string, string])));
  expect(loadConfig(env).idpHost).toBe('0.0.0.0');
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { build?: unknown }> };
  expect(compose.services.idp?.build).toEqual({ context: '.', target: idp.name });
});
