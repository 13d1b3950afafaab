import { runApp } from '../../app/run.js';
import type { Command } from '../command.js';

export const appCommand: Command = {
  name: 'app',
  summary: 'Serve the web app and its JSON API (sign-in through OpenID Connect)',
  usage: `Usage: kpi-stream app

Serves the JSON API of shared/CONTRACT.md "People" on KPI_APP_HOST:KPI_APP_PORT:
GET /api/v1/me, GET /api/v1/flags?status=…, GET /api/v1/teams/{team_id}/summary,
POST /api/v1/flags/{flag_id}/review, POST /api/v1/disputes,
POST /api/v1/disputes/{dispute_id}/decision.
Every request carries an OIDC access token (Authorization: Bearer …) from the
identity provider KPI_OIDC_ISSUER for client KPI_OIDC_CLIENT_ID (unset: the
local one of \`services up idp\`); its claims kpi_roles and employee_id decide
what it may read and decide. Decisions go to kpi.reviews.v1 and are applied by
the applier this process runs (as \`reviews run\` does; run one app per
deployment). With KPI_METRICS_PORT set, /metrics, /healthz and /readyz on
that port. SIGTERM or SIGINT stops it (exit 0); the applier's consumer
stopping for good stops it with exit 1.`,
  needs: () => ['kafka', 'clickhouse'],
  async run(_args, { config, log }) {
    const stop = new AbortController();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
    await runApp(config, log, stop.signal);
    return 0;
  },
};
