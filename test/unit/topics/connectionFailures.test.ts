import { loadConfig } from '../../../core/config.js';
import { ConnectionError, EXIT_CODES, exitCodeOf } from '../../../core/errors.js';
import { kafkaConnectionFailure } from '../../../topics/kafka.js';
import { registryConnectionFailure } from '../../../topics/registry.js';

/**
 * How a failed connection is explained. The integration tests produce each
 * failure for real (test/integration/services/connections.test.ts); these
 * cover the wordings of errors the local services cannot produce.
 */
const config = loadConfig({ KAFKA_BROKERS: 'b1:9093', SCHEMA_REGISTRY_URL: 'https://sr.example' });

test('refused credentials and TLS problems are configuration (78); no answer is unavailability (69)', () => {
  expect(exitCodeOf(new ConnectionError('kafka', 'auth', 'x', ['KAFKA_SASL_PASSWORD']))).toBe(EXIT_CODES.config);
  expect(exitCodeOf(new ConnectionError('registry', 'tls', 'x', ['SCHEMA_REGISTRY_CA_FILE']))).toBe(EXIT_CODES.config);
  expect(exitCodeOf(new ConnectionError('clickhouse', 'unreachable', 'x', ['CLICKHOUSE_URL']))).toBe(EXIT_CODES.unavailable);
  expect(new ConnectionError('kafka', 'auth', 'refused', ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']).message).toBe(
    'kafka: refused (check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)',
  );
});

test('a certificate past its date or for another host is a TLS problem naming the CA and the brokers', () => {
  const expired = Object.assign(new Error('Connection error: certificate has expired'), {
    name: 'KafkaJSConnectionError',
    cause: Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }),
  });
  const failure = kafkaConnectionFailure(config, expired);
  expect(failure.code).toBe('KPI_ERR_TLS');
  expect(failure.settings).toEqual(['KAFKA_SSL_CA_FILE', 'KAFKA_BROKERS']);
  const altName = kafkaConnectionFailure(
    config,
    Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
  );
  expect(altName.code).toBe('KPI_ERR_TLS');
});

test('a registry that denies access (403) or answers 5xx', () => {
  const denied = registryConnectionFailure(config, Object.assign(new Error('Confluent_Schema_Registry - Forbidden'), { status: 403 }));
  expect(denied.code).toBe('KPI_ERR_AUTH');
  expect(denied.message).toContain('denied access (HTTP 403)');
  const broken = registryConnectionFailure(config, Object.assign(new Error('Confluent_Schema_Registry - Error, status 503'), { status: 503 }));
  expect(broken.code).toBe('KPI_ERR_UNREACHABLE');
  expect(broken.message).toBe('registry: the schema registry at https://sr.example answered HTTP 503 (check SCHEMA_REGISTRY_URL)');
});

test('a registry nobody answers at: the client\'s "status 400" is a connection that failed, and says so', () => {
  const refused = registryConnectionFailure(
    config,
    Object.assign(new Error('Confluent_Schema_Registry - Error, status 400: connect ECONNREFUSED 127.0.0.1:1'), { status: 400 }),
  );
  expect(refused.code).toBe('KPI_ERR_UNREACHABLE');
  expect(refused.message).toBe(
    'registry: the schema registry at https://sr.example does not answer (connect ECONNREFUSED 127.0.0.1:1) (check SCHEMA_REGISTRY_URL)',
  );
});
