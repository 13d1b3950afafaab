import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { ServiceError } from '../core/errors.js';
import { projectRoot } from '../core/paths.js';
import { mavenRepository } from '../services/layout.js';
import { run } from '../services/processes.js';
import { findJava, runMaven } from '../services/tooling.js';

/**
 * Runs bench/kafka-streams (built with Maven on first use) on the topics of
 * `config`: Kafka Streams reading, decoding and window-aggregating the same
 * records as the processors, one stream thread. Returns its own timing.
 */
export async function kafkaStreamsBaseline(config: Config, records: number): Promise<{ records: number; seconds: number }> {
  // The baseline is for the local broker's plaintext listener; it takes no TLS or SASL settings.
  if (config.kafka.ssl !== false || config.kafka.sasl) {
    throw new ServiceError(
      'kafka-streams',
      'the Kafka Streams baseline connects without TLS or SASL: run the benchmark on the local services (unset KAFKA_SSL and KAFKA_SASL_MECHANISM)',
    );
  }
  const pom = join(projectRoot(), 'bench', 'kafka-streams', 'pom.xml');
  await runMaven('kafka-streams', mavenRepository(config), ['-f', pom, 'package'], 'building the baseline');
  const java = await findJava('kafka-streams', 17);
  const target = join(config.servicesPath, 'bench', 'kafka-streams');
  const state = mkdtempSync(join(tmpdir(), 'kpi-streams-'));
  try {
    const result = await run(java, [
      '-Xmx1g',
      '-cp',
      `${join(target, 'kafka-streams-baseline-1.jar')}:${join(target, 'lib', '*')}`,
      'io.kpistream.bench.StreamsBaseline',
      config.kafka.brokers.join(','),
      config.topicPrefix,
      join(projectRoot(), 'schemas'),
      String(records),
      state,
    ]);
    const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
    if (result.code !== 0 || !line)
      throw new ServiceError('kafka-streams', `the baseline failed (exit ${result.code}):\n${result.stderr.split('\n').slice(-15).join('\n')}`);
    return JSON.parse(line) as { records: number; seconds: number };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
