import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { Config } from '../../core/config.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { checkKafka } from '../../topics/kafka.js';
import { ServiceError } from '../../core/errors.js';
import { secretScrubber } from '../../core/secrets.js';
import { projectRoot } from '../../core/paths.js';
import { fixKafkaRequestQueue } from '../../topics/kafkaRequestQueue.js';
import { mavenRepository, serviceLayout } from '../layout.js';
import { run } from '../processes.js';
import type { ServiceDefinition } from '../service.js';
import { findJava, resolveWithMaven } from '../tooling.js';
import { prepareSecureListener, secureListener, secureListenerProperties, securePassword, type SecureListener } from './secureListener.js';

/**
 * Apache Kafka 3.9 as a single KRaft node (broker and controller in one JVM),
 * run from the jars that services/kafka/pom.xml resolves from Maven Central.
 */
export function kafkaService(config: Config, log: Logger = createLogger('silent')): ServiceDefinition {
  const layout = serviceLayout(config, 'kafka');
  const libs = join(layout.installDir, 'libs');
  const serverProperties = join(layout.home, 'server.properties');
  const log4jProperties = join(layout.home, 'log4j.properties');
  const classpath = `${libs}/*`;
  const secure = secureListener(config);

  return {
    name: 'kafka',
    endpoint: config.kafka.brokers.join(','),
    external: config.kafka.external,
    port: config.kafkaPort,
    portKey: 'KPI_KAFKA_PORT',
    layout,
    processMarker: 'kafka.Kafka',
    startTimeoutMs: 90_000,
    stopGraceMs: 30_000,

    install: () =>
      resolveWithMaven('kafka', {
        pom: join(projectRoot(), 'services', 'kafka', 'pom.xml'),
        outputDir: libs,
        repository: mavenRepository(config),
        extraArgs: ['-DincludeScope=runtime'],
      }),

    async prepare() {
      const java = await findJava('kafka', 17);
      if (secure) await prepareSecureListener(secure);
      writeFileSync(serverProperties, brokerProperties(config, layout.dataDir, secure));
      writeFileSync(log4jProperties, log4jConfig(layout.logDir));
      if (!existsSync(join(layout.dataDir, 'meta.properties'))) {
        // KRaft storage must be formatted once with a cluster id (a base64url UUID).
        const clusterId = kafkaClusterId();
        const format = await run(java, [
          `-Dlog4j.configuration=file:${log4jProperties}`,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          serverProperties,
        ]);
        if (format.code !== 0) throw new ServiceError('kafka', `formatting storage in ${layout.dataDir} failed:\n${format.stdout}${format.stderr}`);
      }
      return {
        command: java,
        args: [
          '-Xms256m',
          '-Xmx1g',
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${log4jProperties}`,
          `-Dkafka.logs.dir=${layout.logDir}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          serverProperties,
        ],
      };
    },

    // The SCRAM user is (re)created on every start, through the plaintext listener: it works on storage formatted before the listener existed.
    async afterStart() {
      if (!secure) return;
      const noListener = `the secure listener on 127.0.0.1:${secure.port} (KPI_KAFKA_SECURE_PORT) does not authenticate ${secure.username}: a broker started before KPI_KAFKA_SECURE_PORT was set has no such listener (run \`kpi-stream services down kafka\`, then \`up\`); see ${layout.logFile}`;
      // A broker left running by a version without the listener has no certificates made for it either.
      if (!existsSync(secure.caFile)) throw new ServiceError('kafka', noListener);
      if (await kafkaAnswers([`127.0.0.1:${secure.port}`], secureClient(secure))) return;
      const java = await findJava('kafka', 17);
      // The password is on this local tool's command line for a moment (its --add-config-file does not take SCRAM credentials); never in its output we show.
      const password = securePassword(secure);
      const result = await run(
        java,
        [
          `-Dlog4j.configuration=file:${log4jProperties}`,
          '-cp',
          classpath,
          'kafka.admin.ConfigCommand',
          '--bootstrap-server',
          `127.0.0.1:${config.kafkaPort}`,
          '--alter',
          '--entity-type',
          'users',
          '--entity-name',
          secure.username,
          '--add-config',
          `SCRAM-SHA-512=[password=${password}]`,
        ],
        { timeoutMs: 60_000 },
      );
      if (result.code !== 0)
        throw new ServiceError('kafka', `creating the SCRAM user of the secure listener failed:\n${secretScrubber([password])(result.stdout + result.stderr)}`);
      const deadline = Date.now() + 30_000;
      while (!(await kafkaAnswers([`127.0.0.1:${secure.port}`], secureClient(secure)))) {
        if (Date.now() > deadline) throw new ServiceError('kafka', noListener);
        await sleep(500);
      }
    },

    healthy: () => kafkaAnswers(config.kafka.brokers),
    connect: () => checkKafka(config, log),
  };
}

/** How a client reaches the secure listener: SASL_SSL, SCRAM-SHA-512, trusting the local CA. */
function secureClient(secure: SecureListener): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  return {
    ssl: { ca: [readFileSync(secure.caFile, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: secure.username, password: securePassword(secure) },
  };
}

function brokerProperties(config: Config, dataDir: string, secure: SecureListener | undefined): string {
  const listener = `127.0.0.1:${config.kafkaPort}`;
  const controller = `127.0.0.1:${config.kafkaControllerPort}`;
  const secureAddress = secure ? `,SECURE://127.0.0.1:${secure.port}` : '';
  return [
    '# Written by kpi-stream services on every start; edit KPI_* variables, not this file.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${controller}`,
    `listeners=PLAINTEXT://${listener},CONTROLLER://${controller}${secureAddress}`,
    `advertised.listeners=PLAINTEXT://${listener}${secureAddress}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${secure ? ',SECURE:SASL_SSL' : ''}`,
    ...(secure ? secureListenerProperties(secure) : []),
    `log.dirs=${dataDir}`,
    // Topics are created by kpi-stream with their definitions, never implicitly.
    'auto.create.topics.enable=false',
    `num.partitions=${config.topicPartitions}`,
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=12',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

function log4jConfig(logDir: string): string {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${join(logDir, 'server.log')}`,
    'log4j.appender.file.MaxFileSize=20MB',
    'log4j.appender.file.MaxBackupIndex=3',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka=INFO',
    'log4j.logger.org.apache.kafka=INFO',
    '',
  ].join('\n');
}

/** A broker is healthy when it answers a metadata request. */
async function kafkaAnswers(brokers: readonly string[], security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}): Promise<boolean> {
  fixKafkaRequestQueue();
  const admin = new Kafka({
    clientId: 'kpi-stream-health',
    brokers: [...brokers],
    ...security,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A KRaft cluster id: 16 random bytes in base64url, drawn again while it
 * begins with '-', as Kafka's own Uuid.randomUuid does — `kafka-storage
 * format -t -x…` reads such an id as an option and refuses to start (1 fresh
 * start in 64).
 */
export function kafkaClusterId(random: (size: number) => Buffer = randomBytes): string {
  let id: string;
  do id = random(16).toString('base64url');
  while (id.startsWith('-'));
  return id;
}
