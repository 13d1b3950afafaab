import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FILE_SUFFIX, describeSettings, describeValues, loadConfig } from '../../../core/config.js';
import { ConfigError } from '../../../core/errors.js';
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
  args?: string[];
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

test('there are the processors, the analytics, alerting and the app (Deployments), their settings, the alert rules and a Secret template', () => {
  expect(
    byKind('Deployment')
      .map((m) => m.metadata.name)
      .sort(),
  ).toEqual(['kpi-stream-alerting', 'kpi-stream-analytics', 'kpi-stream-app', 'kpi-stream-processors']);
  expect(byKind('CronJob')).toEqual([]);
  expect(
    byKind('ConfigMap')
      .map((m) => m.metadata.name)
      .sort(),
  ).toEqual(['kpi-stream-alert-rules', 'kpi-stream-config']);
  expect(secret.metadata.name).toBe('kpi-stream-secrets');
  // The Secret template is never part of the applied set: it is filled in and applied apart.
  const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
  expect(kustomization.resources.sort()).toEqual([
    'alerting.yaml',
    'analytics.yaml',
    'app.yaml',
    'configmap.yaml',
    'disruption-budget.yaml',
    'network-policy.yaml',
    'processors.yaml',
  ]);
});

/** The Secret as a deployer fills it in: every template placeholder replaced by a value of its kind. */
function filledIn(key: string, value: string): string {
  if (key.endsWith('.pem')) return value.replace(/REPLACE_WITH_[A-Z_]+/, 'MIIBszCCAVmgAwIBAgIUYmFzZTY0IG9mIGEgcmVhbCBjZXJ0aWZpY2F0ZQ==');
  if (key === 'alert-webhook-url') return 'https://hooks.plant.example/services/T1/B2/tok3n';
  if (key === 'alert-webhook-secret') return `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
  if (key === 'pseudonym-key') return Buffer.alloc(32, 42).toString('base64');
  return value.replace(/REPLACE_ME/, `${key}-value`);
}

/**
 * The environment a Deployment's process starts with, as the kubelet renders it: the ConfigMap
 * (envFrom), the container's env, and the Secret's files where they are mounted (written to a
 * folder of ours, with the template's values or filled in).
 */
function rendered(manifest: Manifest, files: string, secretValue: (key: string, value: string) => string): Record<string, string> {
  const [container] = podSpecOf(manifest).containers;
  const mount = container!.volumeMounts!.find((v) => v.name === 'secrets')!.mountPath;
  for (const [key, value] of Object.entries(secret.stringData!)) writeFileSync(join(files, key), secretValue(key, value));
  const fromConfigMap = (container!.envFrom ?? []).flatMap((e) =>
    Object.entries(byKind('ConfigMap').find((m) => m.metadata.name === e.configMapRef.name)!.data!),
  );
  return { ...Object.fromEntries(fromConfigMap), ...Object.fromEntries(container!.env!.map(({ name, value }) => [name, value.replace(mount, files)])) };
}

/** README "Docker and Kubernetes": what each Deployment's process needs, besides the connection settings. */
const needs = [...readFileSync(join(projectRoot(), 'README.md'), 'utf8').matchAll(/^\| `(kpi-stream-[a-z]+)` \| `([^`]+)` \| (.*) \|$/gm)].map(
  ([, name, command, settings]) => ({
    name: name!,
    command: command!,
    settings: [...settings!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!),
  }),
);

test('the README says what each Deployment needs, and each one runs its command', () => {
  expect(needs.map((n) => n.name).sort()).toEqual(
    byKind('Deployment')
      .map((m) => m.metadata.name)
      .sort(),
  );
  for (const { name, command } of needs) {
    expect(podSpecOf(byKind('Deployment').find((m) => m.metadata.name === name)!).containers[0]!.args!.join(' ')).toBe(command);
  }
});

test.each(needs.map((n) => [n.name, n] as const))('%s, rendered, gets every setting the README says it needs, and its credentials', (name, need) => {
  const files = mkdtempSync(join(tmpdir(), 'kpi-k8s-'));
  try {
    const env = rendered(
      byKind('Deployment').find((m) => m.metadata.name === name)!,
      files,
      filledIn,
    );
    const values = new Map(describeValues(env).map((v) => [v.env, v]));
    for (const setting of [...need.settings, 'KAFKA_SASL_PASSWORD', 'SCHEMA_REGISTRY_PASSWORD', 'CLICKHOUSE_PASSWORD']) {
      expect({ setting, from: values.get(setting)?.from }).toEqual({ setting, from: expect.stringMatching(/^(env|file)$/) });
    }
    const config = loadConfig(env);
    if (need.settings.includes('KPI_ALERT_WEBHOOK_URL')) expect([config.alertWebhookUrl, config.alertWebhookSecrets.length]).toEqual([expect.any(String), 1]);
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
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

  test("the Secret template's placeholders stop it at start-up, naming the variable; filled in, its settings load", () => {
    const files = mkdtempSync(join(tmpdir(), 'kpi-k8s-'));
    try {
      expect(() => loadConfig(rendered(manifest, files, (_key, value) => value))).toThrow(ConfigError);
      expect(() => loadConfig(rendered(manifest, files, (_key, value) => value))).toThrow(/placeholder of a template/);
      const config = loadConfig(rendered(manifest, files, filledIn));
      expect(config.kafka.sasl?.mechanism).toBe('scram-sha-512');
      expect(config.clickhouse.password).toBe('clickhouse-password-value');
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

const served = byKind('Deployment').filter((m) => ['kpi-stream-processors', 'kpi-stream-alerting', 'kpi-stream-app'].includes(m.metadata.name));

test.each(served.map((m) => [m.metadata.name, m] as const))(
  '%s is probed and scraped on the metrics port the ConfigMap sets, on an address the kubelet reaches',
  (_name, deployment) => {
    const [container] = podSpecOf(deployment).containers;
    const port = Number(configMap.data!.KPI_METRICS_PORT);
    expect(configMap.data!.KPI_METRICS_HOST).toBe('0.0.0.0');
    expect(container!.ports).toContainEqual({ name: 'metrics', containerPort: port });
    expect(container!.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container!.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    const annotations = (deployment.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
    expect(annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
  },
);

test("the probes' and the scrape's paths are the ones kpi-stream serves", async () => {
  expect(served.map((m) => m.metadata.name).sort()).toEqual(['kpi-stream-alerting', 'kpi-stream-app', 'kpi-stream-processors']);
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

test('a NetworkPolicy lets in only the metrics port and lets out only DNS and the ports of the servers and receivers', () => {
  const [policy] = byKind('NetworkPolicy').filter((m) => m.metadata.name === 'kpi-stream') as unknown as {
    spec: {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress: { ports: { port: number }[] }[];
      egress: { ports: { protocol: string; port: number }[] }[];
    };
  }[];
  expect(policy!.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'kpi-stream' });
  expect(policy!.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
  expect(policy!.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([Number(configMap.data!.KPI_METRICS_PORT)]);
  const egress = new Set(policy!.spec.egress.flatMap((rule) => rule.ports.map((p) => p.port)));
  const config = loadConfig({ ...configMap.data, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
  const servers = [...config.kafka.brokers.map((b) => b.slice(b.lastIndexOf(':') + 1)), new URL(config.registry.url).port, new URL(config.clickhouse.url).port];
  for (const port of [53, 443, ...servers.map(Number)]) expect(egress).toContain(port);
});

test('a PodDisruptionBudget lets a drain move one processor at a time', () => {
  const [budget] = byKind('PodDisruptionBudget') as unknown as { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } }[];
  const processors = byKind('Deployment').find((m) => m.metadata.name === 'kpi-stream-processors')!;
  const spec = processors.spec as { replicas: number; selector: { matchLabels: Record<string, string> } };
  expect(budget!.spec.selector.matchLabels).toEqual(spec.selector.matchLabels);
  expect(budget!.spec.maxUnavailable).toBe(1);
  expect(spec.replicas).toBeGreaterThan(1);
});

test("the app serves on the port the ConfigMap sets, behind a Service, let in by a policy of its own; the identity provider is the plant's", () => {
  const app = byKind('Deployment').find((m) => m.metadata.name === 'kpi-stream-app')!;
  const [container] = podSpecOf(app).containers;
  const config = loadConfig({ ...configMap.data, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KPI_OIDC_CLIENT_SECRET: 's' });
  expect(config.appHost).toBe('0.0.0.0');
  expect(container!.ports).toContainEqual({ name: 'http', containerPort: config.appPort });
  expect((app.spec as { replicas: number }).replicas).toBe(1);
  const service = byKind('Service').find((m) => m.metadata.name === 'kpi-stream-app') as unknown as {
    spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
  };
  expect(service.spec.selector).toEqual((app.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels);
  expect(service.spec.ports).toEqual([{ name: 'http', port: config.appPort, targetPort: 'http' }]);
  const policy = byKind('NetworkPolicy').find((m) => m.metadata.name === 'kpi-stream-app') as unknown as {
    spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { ports: { port: number }[] }[] };
  };
  expect(policy.spec.podSelector.matchLabels).toEqual(service.spec.selector);
  expect(policy.spec.policyTypes).toEqual(['Ingress']);
  expect(policy.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([config.appPort]);
  // Not the local identity provider of the demo: the plant's, over https (egress 443 in network-policy.yaml).
  expect(config.oidc.local).toBe(false);
  expect(config.oidc.issuer).toMatch(/^https:\/\//);
  expect(container!.env).toContainEqual({ name: 'KPI_OIDC_CLIENT_SECRET_FILE', value: '/etc/kpi-stream/secrets/oidc-client-secret' });
  expect(container!.env).toContainEqual({ name: 'KPI_APP_SESSION_SECRET_FILE', value: '/etc/kpi-stream/secrets/app-session-secret' });
});
