import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../../core/config.js';
import { freePort } from '../../../core/net.js';
import { distFile } from '../../../core/paths.js';
import { appService } from '../../../services/app/service.js';
import { idpService } from '../../../services/idp/service.js';
import { stopService } from '../../../services/service.js';
import { dropTestResources, testContext } from '../support/context.js';
import { processorEnv } from '../support/processor.js';
import { signIn } from '../support/oidc.js';

/**
 * `kpi-stream demo` as a newcomer runs it, on a smaller plant: a line per
 * step and the summary on stdout (at most 60 lines), the story's contrast
 * first, and every log line in the log file rather than on the terminal;
 * then the app and the local identity provider it leaves running, with the
 * demo users cast from the run's organisation.
 */
const ctx = testContext('demo');
const out = mkdtempSync(join(tmpdir(), 'kpi-demo-'));
const run = promisify(execFile);
const env = processorEnv(ctx, {
  LOG_LEVEL: 'info',
  KPI_IDLE_CLOSE: '1s',
  KPI_IDP_PORT: String(await freePort()),
  KPI_APP_PORT: String(await freePort()),
  KPI_METRICS_PORT: String(await freePort()),
});
const config = loadConfig(env);

afterAll(async () => {
  // Left running by the demo, as for a person trying it: stopped here as `services down` would.
  await stopService(appService(config));
  await stopService(idpService(config));
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('the demo tells its story in at most 60 lines: steps, grades four ways, detection, stations; the log goes to a file; the app stays up to sign in to', async () => {
  const { stdout, stderr } = await run(process.execPath, [distFile('cli/main.js'), 'demo', '--employees', '48', '--days', '7', '--out', out], {
    env,
    maxBuffer: 1 << 24,
  });
  const lines = stdout.trimEnd().split('\n');
  expect(lines.length).toBeLessThanOrEqual(60);
  expect(stderr).toBe('');
  // One line per step, in order, and no log line among them.
  const steps = lines.flatMap((l) => /^\[\d\/8\] (\w+)/.exec(l)?.[1] ?? []);
  expect(steps).toEqual(['services', 'simulated', 'processed', 'rows', 'scored', 'alerts', 'report', 'app']);
  expect(stdout).not.toMatch(/\b(INFO|WARN|ERROR)\b/);
  expect(stdout).toMatch(/^\[4\/8\] rows: (\d+) of \1 expected rows .* equal in every column$/m);

  // The contrast: the plant's people grade themselves near the top; measured and calibrated they spread out.
  const table = lines.slice(lines.findIndex((l) => /^grade\s+by self-scores\s+measured\s+calibrated\s+target$/.test(l)));
  const row = (grade: string) =>
    table
      .find((l) => l.startsWith(grade))!
      .slice(grade.length)
      .trim()
      .split(/\s+/)
      .map((cell) => Number(cell.replace('%', '')));
  const [selfExcellent, , , targetExcellent] = row('excellent');
  expect(selfExcellent).toBeGreaterThanOrEqual(70);
  expect(targetExcellent).toBe(25);
  const [, measuredNeeds, calibratedNeeds] = row('needs improvement');
  expect(measuredNeeds).toBeGreaterThan(calibratedNeeds!);
  expect(stdout).toMatch(/^Detection against the simulator's ground truth: precision \d+%/m);
  // Nobody has reviewed the demo's flags: the report confirms none and marks them all awaiting review.
  expect(stdout).toMatch(/^Most flagged employees \(.*in the report 0 confirmed, [1-9]\d* awaiting review, with the evidence\):$/m);

  // The app is left running with the demo users: the supervisor leads teams with flags awaiting review, the employee is one of their people.
  const cast = /^\[8\/8\] app: (\S+) .*; supervisor (\S+)'s teams have (\d+) flags awaiting review, (\d+) of them about (\S+)$/m.exec(stdout);
  expect(cast?.[1]).toBe(config.appUrl);
  const [, , supervisorId, teamFlags, , employeeId] = cast!;
  expect(stdout).toContain(`Reviews and disputes: open ${config.appUrl}/ and sign in at ${config.oidc.issuer}`);
  expect(stdout).toMatch(new RegExp(`^supervisor +supervisor-demo +employee, supervisor +${supervisorId}$`, 'm'));
  expect(stdout).toMatch(new RegExp(`^employee +employee-demo +employee +${employeeId}$`, 'm'));
  expect((await fetch(`http://127.0.0.1:${config.metricsPort}/readyz`)).status).toBe(200);
  const asSupervisor = await signIn(config, 'supervisor', 'supervisor-demo');
  const flags = (await (
    await fetch(`${config.appUrl}/api/v1/flags?status=proposed`, { headers: { authorization: `Bearer ${asSupervisor.accessToken}` } })
  ).json()) as { flags: { employee_id: string; kind: string }[] };
  expect(flags.flags.filter((f) => f.kind !== 'measurement_gap').length).toBe(Number(teamFlags));
  expect(flags.flags.map((f) => f.employee_id)).toContain(employeeId);

  const log = readFileSync(join(out, 'demo.log'), 'utf8');
  expect(log).toMatch(/ INFO {2}\[processor\] joined group /);
  expect(existsSync(join(out, 'report.html'))).toBe(true);
}, 600_000);
