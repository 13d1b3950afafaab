import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FILE_SUFFIX, describeSettings, loadConfig } from '../../../core/config.js';
import { startHealthServer } from '../../../core/health.js';
import { createLogger } from '../../../core/logger.js';
import { createProcessRegistry } from '../../../core/metrics.js';
import { projectRoot } from '../../../core/paths.js';
import { parseRules } from '../../../alerting/rules.js';
import { KpiCatalog } from '../../../kpis/catalog.js';

/**
 * deploy/kubernetes cannot be applied here; this keeps it honest instead: it
 * names only settings that exist, with values kpi-stream accepts, every
 * secret file it names comes from the Secret, and the containers run as
 * non-root with probes and resources.
 */
interface Container {
  name: string;
  image: string;
  envFrom?: { configMapRef: { name: string } }[];
  env?: { name: string; value: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}
type Manifest = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: Record<string, unknown>;
};

const dir = join(projectRoot(), 'deploy', 'kubernetes');
const manifests: Manifest[] = readdirSync(dir)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS() as Manifest));
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const configMap = byKind('ConfigMap').find((m) => m.metadata.name === 'kpi-stream-config')!;
const secret = byKind('Secret')[0]!;
const podSpecOf = (m: Manifest): PodSpec =>
  m.kind === 'CronJob'
    ? (m.spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template.spec
    : (m.spec as { template: { spec: PodSpec } }).template.spec;
const workloads = [...byKind('Deployment'), ...byKind('CronJob')];
const known = new Set(describeSettings().map((s) => s.env));

test('there are the processors, the analytics and alerting (Deployments), their settings, the alert rules and a Secret template', () => {
  expect(
    byKind('Deployment')
      .map((m) => m.metadata.name)
      .sort(),
  ).toEqual(['kpi-stream-alerting', 'kpi-stream-analytics', 'kpi-stream-processors']);
  expect(byKind('CronJob')).toEqual([]);
  expect(
    byKind('ConfigMap')
      .map((m) => m.metadata.name)
      .sort(),
  ).toEqual(['kpi-stream-alert-rules', 'kpi-stream-config']);
  expect(secret.metadata.name).toBe('kpi-stream-secrets');
  // The Secret template is never part of the applied set: it is filled in and applied apart.
  const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
  expect(kustomization.resources.sort()).toEqual(['alerting.yaml', 'analytics.yaml', 'configmap.yaml', 'processors.yaml']);
});

test('the ConfigMap names only settings, holds no secret, and its values are accepted', () => {
  for (const key of Object.keys(configMap.data!)) expect(known).toContain(key);
  for (const key of Object.keys(configMap.data!)) expect(key).not.toMatch(/PASSWORD|USERNAME|_FILE$/);
});

describe.each(workloads.map((m) => [m.metadata.name, m] as const))('%s', (_name, manifest) => {
  const pod = podSpecOf(manifest);
  const [container] = pod.containers;

  test('names only settings that exist (or their _FILE variants), every secret file from the Secret', () => {
    expect(container!.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    const mount = container!.volumeMounts!.find((v) => pod.volumes!.find((vol) => vol.name === v.name)?.secret?.secretName === secret.metadata.name);
    expect(mount?.readOnly).toBe(true);
    for (const { name, value } of container!.env!) {
      expect(known).toContain(name.endsWith(FILE_SUFFIX) && !known.has(name) ? name.slice(0, -FILE_SUFFIX.length) : name);
      // Every value here is a file of the Secret, mounted.
      expect(value.startsWith(`${mount!.mountPath}/`)).toBe(true);
      expect(Object.keys(secret.stringData!)).toContain(value.slice(mount!.mountPath.length + 1));
    }
    expect(container!.env!.map((e) => e.name)).toEqual(
      expect.arrayContaining(['KAFKA_SASL_PASSWORD_FILE', 'SCHEMA_REGISTRY_PASSWORD_FILE', 'CLICKHOUSE_PASSWORD_FILE']),
    );
  });

  test("its settings, with the Secret template's files, load without error", () => {
    const files = mkdtempSync(join(tmpdir(), 'kpi-k8s-'));
    try {
      const mount = container!.volumeMounts![0]!.mountPath;
      for (const [key, value] of Object.entries(secret.stringData!)) writeFileSync(join(files, key), value);
      const env = { ...configMap.data, ...Object.fromEntries(container!.env!.map(({ name, value }) => [name, value.replace(mount, files)])) };
      const config = loadConfig(env);
      expect(config.kafka.sasl?.mechanism).toBe('scram-sha-512');
      expect(config.clickhouse.password).toBe('REPLACE_ME');
    } finally {
      rmSync(files, { recursive: true, force: true });
    }
  });

  test('runs as non-root, read-only, without privileges, with resources', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(Object.keys(container!.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(container!.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
  });
});

test('alerting mounts the rules the ConfigMap names, and they are valid rules', () => {
  const alerting = byKind('Deployment').find((m) => m.metadata.name === 'kpi-stream-alerting')!;
  const pod = podSpecOf(alerting);
  const rulesPath = configMap.data!.KPI_ALERT_RULES!;
  const mount = pod.containers[0]!.volumeMounts!.find((v) => rulesPath.startsWith(`${v.mountPath}/`))!;
  const volume = pod.volumes!.find((v) => v.name === mount.name) as { configMap?: { name: string } };
  const rules = byKind('ConfigMap').find((m) => m.metadata.name === volume.configMap?.name)!;
  const text = rules.data![rulesPath.slice(mount.mountPath.length + 1)]!;
  expect(parseRules(parseAllDocuments(text)[0]!.toJS(), KpiCatalog.of()).length).toBeGreaterThan(0);
  // The same rules as docker-compose.yml's (deploy/alert-rules.yaml), without its header comment.
  const example = readFileSync(join(projectRoot(), 'deploy', 'alert-rules.yaml'), 'utf8');
  expect(text).toBe(example.slice(example.indexOf('rules:')));
});

const served = byKind('Deployment').filter((m) => ['kpi-stream-processors', 'kpi-stream-alerting'].includes(m.metadata.name));

test.each(served.map((m) => [m.metadata.name, m] as const))(
  '%s is probed and scraped on the metrics port the ConfigMap sets, on an address the kubelet reaches',
  (_name, deployment) => {
    const [container] = podSpecOf(deployment).containers;
    const port = Number(configMap.data!.KPI_METRICS_PORT);
    expect(configMap.data!.KPI_METRICS_HOST).toBe('0.0.0.0');
    expect(container!.ports).toEqual([{ name: 'metrics', containerPort: port }]);
    expect(container!.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container!.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    const annotations = (deployment.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
    expect(annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
  },
);

test("the probes' and the scrape's paths are the ones kpi-stream serves", async () => {
  expect(served.map((m) => m.metadata.name).sort()).toEqual(['kpi-stream-alerting', 'kpi-stream-processors']);
  const server = await startHealthServer({ registry: createProcessRegistry(), host: '127.0.0.1', port: 0, log: createLogger('silent') });
  try {
    for (const deployment of served) {
      const [container] = podSpecOf(deployment).containers;
      for (const path of [container!.readinessProbe!.httpGet.path, container!.livenessProbe!.httpGet.path, '/metrics']) {
        expect((await fetch(`${server.url}${path}`)).status).toBe(200);
      }
    }
  } finally {
    await server.close();
  }
});
