import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../../core/config.js';
import { platformaticSecurity } from '../../../../topics/client/platformatic.js';

test('KAFKA_SSL* and KAFKA_SASL* become @platformatic/kafka TLS and SASL options, the mechanism in its spelling', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-tls-'));
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(join(dir, 'ca.pem'), pem);
  const config = loadConfig({
    KAFKA_BROKERS: 'broker.plant.example:9094',
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'svc',
    KAFKA_SASL_PASSWORD: 'pw-1234',
  });
  expect(platformaticSecurity(config)).toEqual({ tls: { ca: [pem] }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'svc', password: 'pw-1234' } });
});

test('a plaintext listener without SASL: neither option', () => {
  expect(platformaticSecurity(loadConfig({ KAFKA_BROKERS: 'broker:9092' }))).toEqual({});
});
