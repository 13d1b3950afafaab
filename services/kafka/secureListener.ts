import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../core/config.js';
import { ServiceError } from '../../core/errors.js';
import { generatedSecret } from '../../core/secrets.js';
import { serviceLayout } from '../layout.js';
import { run } from '../processes.js';

/**
 * The local broker's optional second listener (KPI_KAFKA_SECURE_PORT):
 * SASL_SSL with SCRAM-SHA-512, like a plant's secured cluster, so secured
 * clients can be tested without one. Its certificates are made with openssl
 * the first time, under `.svc/kafka/secure/`: a CA, the broker's certificate
 * (for 127.0.0.1 and localhost), and a client certificate for mutual TLS (the
 * listener requests one and refuses one it cannot verify). Its SCRAM user is
 * created each time the broker starts.
 */
export interface SecureListener {
  readonly port: number;
  readonly dir: string;
  /** The CA that signed the broker's and the client's certificates (KAFKA_SSL_CA_FILE). */
  readonly caFile: string;
  /** The broker's key and certificate chain, as Kafka's PEM keystore. */
  readonly keystoreFile: string;
  /** A client certificate and key signed by the CA (KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly username: string;
  /** A file holding the SCRAM password (KAFKA_SASL_PASSWORD_FILE). */
  readonly passwordFile: string;
}

export const SECURE_LISTENER_USER = 'kpi-client';

export function secureListener(config: Config): SecureListener | undefined {
  if (config.kafkaSecurePort === 0) return undefined;
  const dir = join(serviceLayout(config, 'kafka').home, 'secure');
  return {
    port: config.kafkaSecurePort,
    dir,
    caFile: join(dir, 'ca.pem'),
    keystoreFile: join(dir, 'broker-keystore.pem'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    username: SECURE_LISTENER_USER,
    passwordFile: join(dir, 'password'),
  };
}

/** The environment that points kpi-stream's Kafka clients at the secure listener. */
export function secureListenerEnv(listener: SecureListener): Record<string, string> {
  return {
    KAFKA_BROKERS: `127.0.0.1:${listener.port}`,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: listener.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: listener.username,
    KAFKA_SASL_PASSWORD_FILE: listener.passwordFile,
  };
}

async function openssl(args: string[], cwd: string): Promise<void> {
  let result;
  try {
    result = await run('openssl', args, { cwd, timeoutMs: 60_000 });
  } catch (error) {
    throw new ServiceError('kafka', 'openssl is not on PATH: it makes the certificates of the secure listener (KPI_KAFKA_SECURE_PORT)', { cause: error });
  }
  if (result.code !== 0) throw new ServiceError('kafka', `openssl ${args[0]} failed making the secure listener's certificates:\n${result.stderr}`);
}

/** Makes a CA (self-signed) in `dir` as `<name>.pem` and `<name>.key`. */
export async function makeCertificateAuthority(dir: string, name: string, commonName: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '3650',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

/** Makes a key and a certificate signed by the CA `<ca>.pem` in `dir`, as `<name>.key` and `<name>.pem`. */
export async function makeCertificate(dir: string, ca: string, name: string, commonName: string, extensions: string[]): Promise<void> {
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${commonName}`,
      ...extensions.flatMap((e) => ['-addext', e]),
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '3650',
      '-sha256',
      '-copy_extensions',
      'copyall',
      '-out',
      `${name}.pem`,
    ],
    dir,
  );
}

/** Makes the listener's certificates and password once; later starts reuse them. */
export async function prepareSecureListener(listener: SecureListener): Promise<void> {
  mkdirSync(listener.dir, { recursive: true, mode: 0o700 });
  generatedSecret(listener.passwordFile);
  if (existsSync(listener.keystoreFile) && existsSync(listener.clientKeyFile)) return;
  await makeCertificateAuthority(listener.dir, 'ca', 'kpi-stream local CA');
  await makeCertificate(listener.dir, 'ca', 'broker', 'localhost', ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth']);
  await makeCertificate(listener.dir, 'ca', 'client', SECURE_LISTENER_USER, ['extendedKeyUsage=clientAuth']);
  // Kafka's PEM keystore: the private key (PKCS#8, unencrypted) and the certificate chain in one file.
  const read = (file: string) => readFileSync(join(listener.dir, file), 'utf8');
  writeFileSync(listener.keystoreFile, `${read('broker.key')}${read('broker.pem')}${read('ca.pem')}`, { mode: 0o600 });
}

export function securePassword(listener: SecureListener): string {
  return generatedSecret(listener.passwordFile);
}

/** The broker properties of the secure listener (appended to server.properties). */
export function secureListenerProperties(listener: SecureListener): string[] {
  const prefix = 'listener.name.secure';
  return [
    `${prefix}.sasl.enabled.mechanisms=SCRAM-SHA-512`,
    `${prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `${prefix}.ssl.keystore.type=PEM`,
    `${prefix}.ssl.keystore.location=${listener.keystoreFile}`,
    `${prefix}.ssl.truststore.type=PEM`,
    `${prefix}.ssl.truststore.location=${listener.caFile}`,
    // Mutual TLS is optional here (SCRAM authenticates), but a client certificate that is sent must verify.
    `${prefix}.ssl.client.auth=requested`,
  ];
}
