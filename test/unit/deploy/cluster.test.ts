import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../../core/paths.js';
import { REPLICA_PATH } from '../../../sinks/clickhouse/cluster.js';

/**
 * deploy/cluster/ cannot run on a machine without Docker; this keeps the
 * Compose file, the Keeper and ClickHouse configs consistent with each other
 * and with what kpi-stream renders for a cluster.
 */
interface Service {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const root = projectRoot();
const dir = join(root, 'deploy', 'cluster');
const compose = parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const keeperXml = readFileSync(join(dir, 'keeper', 'keeper.xml'), 'utf8');
const clusterXml = readFileSync(join(dir, 'clickhouse', 'cluster.xml'), 'utf8');
const mainCompose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

const services = (prefix: string) => Object.keys(compose.services).filter((name) => name.startsWith(prefix));
const all = (xml: string, pattern: RegExp) => [...xml.matchAll(pattern)].map((m) => m.slice(1));

test('three Keeper nodes in one Raft group, each with its own id', () => {
  expect(services('keeper-')).toEqual(['keeper-1', 'keeper-2', 'keeper-3']);
  const raft = all(keeperXml, /<server><id>(\d+)<\/id><hostname>([\w-]+)<\/hostname><port>(\d+)<\/port><\/server>/g);
  expect(raft.map(([id, host]) => `${id}@${host}`)).toEqual(
    services('keeper-').map((name) => `${compose.services[name]!.environment!.KEEPER_SERVER_ID}@${name}`),
  );
  expect(keeperXml).toContain('<server_id from_env="KEEPER_SERVER_ID"/>');
});

test('two ClickHouse servers: the replicas of the one shard of cluster kpi, under those Keeper nodes', () => {
  const servers = services('clickhouse-');
  expect(servers).toEqual(['clickhouse-1', 'clickhouse-2']);
  expect(all(clusterXml, /<remote_servers>\s*<(\w+)>/g).flat()).toEqual(['kpi']);
  expect(all(clusterXml, /<shard>/g)).toHaveLength(1);
  // At most two replicas per shard: migrate refuses more (the insert quorum must be every replica).
  expect(all(clusterXml, /<replica><host>([\w-]+)<\/host><port>9000<\/port><\/replica>/g).flat()).toEqual(servers);
  expect(clusterXml).toMatch(/<internal_replication>true<\/internal_replication>/);
  expect(all(clusterXml, /<node><host>([\w-]+)<\/host><port>9181<\/port><\/node>/g).flat()).toEqual(services('keeper-'));
  for (const name of servers) {
    const service = compose.services[name]!;
    expect(service.image).toBe(mainCompose.services.clickhouse!.image);
    expect(service.environment!.CLICKHOUSE_REPLICA).toBe(name);
    expect(service.environment!.CLICKHOUSE_SHARD).toBe('01');
    expect(Object.keys(service.depends_on ?? {})).toEqual(services('keeper-'));
    expect(service.volumes).toContain('./clickhouse/cluster.xml:/etc/clickhouse-server/config.d/cluster.xml:ro');
  }
});

test('the macros the replicated tables name are the ones each server defines', () => {
  const named = [...REPLICA_PATH.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((macro) => macro !== 'database' && macro !== 'table');
  const defined = all(clusterXml, /<macros>([\s\S]*?)<\/macros>/g)
    .flat()
    .flatMap((block) => all(block, /<(\w+) from_env=/g).flat());
  expect(named).toEqual(['shard']);
  expect(defined.sort()).toEqual(['replica', 'shard']);
});
