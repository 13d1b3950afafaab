import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { distFile } from '../../../core/paths.js';
import { dropTestResources, testContext } from '../support/context.js';
import { processorEnv } from '../support/processor.js';

/**
 * `kpi-stream demo` as a newcomer runs it, on a smaller plant: a line per
 * step and the summary on stdout (at most 60 lines), the story's contrast
 * first, and every log line in the log file rather than on the terminal.
 */
const ctx = testContext('demo');
const out = mkdtempSync(join(tmpdir(), 'kpi-demo-'));
const run = promisify(execFile);

afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await dropTestResources(ctx);
});

test('the demo tells its story in at most 60 lines: steps, grades four ways, detection, stations; the log goes to a file', async () => {
  const { stdout, stderr } = await run(process.execPath, [distFile('cli/main.js'), 'demo', '--employees', '48', '--days', '7', '--out', out], {
    env: processorEnv(ctx, { LOG_LEVEL: 'info', KPI_IDLE_CLOSE: '1s' }),
    maxBuffer: 1 << 24,
  });
  const lines = stdout.trimEnd().split('\n');
  expect(lines.length).toBeLessThanOrEqual(60);
  expect(stderr).toBe('');
  // One line per step, in order, and no log line among them.
  const steps = lines.flatMap((l) => /^\[\d\/7\] (\w+)/.exec(l)?.[1] ?? []);
  expect(steps).toEqual(['services', 'simulated', 'processed', 'rows', 'scored', 'alerts', 'report']);
  expect(stdout).not.toMatch(/\b(INFO|WARN|ERROR)\b/);
  expect(stdout).toMatch(/^\[4\/7\] rows: (\d+) of \1 expected rows .* equal in every column$/m);

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

  const log = readFileSync(join(out, 'demo.log'), 'utf8');
  expect(log).toMatch(/ INFO {2}\[processor\] joined group /);
  expect(existsSync(join(out, 'report.html'))).toBe(true);
}, 600_000);
