import { ClickHouseError } from '@clickhouse/client';
import { loadConfig } from '../../../../core/config.js';
import { clickhouseConnectionFailure } from '../../../../sinks/clickhouse/client.js';

const config = loadConfig({ CLICKHOUSE_URL: 'https://ch.example:8443', CLICKHOUSE_USER: 'kpi', CLICKHOUSE_PASSWORD: 'hunter2-long' });

test('ClickHouse refusing the user (516) names CLICKHOUSE_USER and CLICKHOUSE_PASSWORD, never the password', () => {
  const refused = new ClickHouseError({
    message: 'kpi: Authentication failed: password is incorrect, or there is no user with such name.',
    code: '516',
    type: 'AUTHENTICATION_FAILED',
  });
  const failure = clickhouseConnectionFailure(config, refused);
  expect(failure.code).toBe('KPI_ERR_AUTH');
  expect(failure.settings).toEqual(['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD']);
  expect(failure.message).toContain('refused user "kpi"');
  expect(failure.message).not.toContain('hunter2');
});

test('an unknown CA names CLICKHOUSE_CA_FILE; a refused connection names CLICKHOUSE_URL', () => {
  expect(
    clickhouseConnectionFailure(config, Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))
      .settings,
  ).toEqual(['CLICKHOUSE_CA_FILE', 'CLICKHOUSE_URL']);
  const down = clickhouseConnectionFailure(config, Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8443'), { code: 'ECONNREFUSED' }));
  expect(down.code).toBe('KPI_ERR_UNREACHABLE');
  expect(down.settings).toEqual(['CLICKHOUSE_URL']);
});
