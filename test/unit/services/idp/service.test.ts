import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../../core/config.js';
import { idpRedirectUris } from '../../../../services/idp/service.js';

const servicesDir = mkdtempSync(join(tmpdir(), 'kpi-idp-svc-'));
afterAll(() => rmSync(servicesDir, { recursive: true, force: true }));
const load = (env: Record<string, string>) => loadConfig({ KPI_SERVICES_DIR: servicesDir, ...env });

test("the local identity provider sends sign-ins back to the app's callback where the app is configured to be", () => {
  expect(idpRedirectUris(load({}))).toEqual(['http://127.0.0.1:8090/auth/callback']);
  expect(idpRedirectUris(load({ KPI_APP_PORT: '29097' }))).toEqual(['http://127.0.0.1:29097/auth/callback']);
  expect(idpRedirectUris(load({ KPI_APP_HOST: '0.0.0.0', KPI_APP_PORT: '8080' }))).toEqual(['http://127.0.0.1:8080/auth/callback']);
});

test('behind a proxy (KPI_APP_URL), its public address first, and where the app listens too', () => {
  expect(idpRedirectUris(load({ KPI_APP_URL: 'https://people.plant.example/', KPI_APP_PORT: '29097' }))).toEqual([
    'https://people.plant.example/auth/callback',
    'http://127.0.0.1:29097/auth/callback',
  ]);
});
