import { createLogger } from '../../../core/logger.js';

/** What a text-mode logger writes to stderr while `work` runs. */
function stderrOf(work: () => void): string {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    work();
  } finally {
    process.stderr.write = write;
  }
  return written.join('');
}

test('in text mode a newline or other control character in an id cannot forge a log line', () => {
  const forged = 'E1\n12:00:00.000 FATAL [run] forged line\r\u2028\u0007';
  const out = stderrOf(() => {
    const log = createLogger('info', 'text');
    log.info({ employee_id: forged }, `record of ${forged}`);
    log.warn({ err: new Error(`bad ${forged}`) }, 'failed');
  });
  const lines = out.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}record of E1\\n12:00:00\.000 FATAL \[run\] forged line\\r\\u2028\\u0007 employee_id=E1\\n/);
  expect(lines[1]).toContain('failed — bad E1\\n12:00:00.000 FATAL');
});

test('every line is scrubbed of the secrets given, short ones and Basic credentials included', () => {
  const basic = Buffer.from('kpi:hunter2-long').toString('base64');
  const out = stderrOf(() => {
    const log = createLogger('info', 'text', 'test', ['hunter2-long', 'pw', basic]);
    log.info(`refused Authorization: Basic ${basic}, password pw, other Basic ${Buffer.from('someone:else').toString('base64')} pwd`);
  });
  expect(out).not.toContain('hunter2');
  expect(out).not.toContain(basic);
  expect(out).not.toContain(' pw,');
  expect(out).not.toContain(Buffer.from('someone:else').toString('base64'));
  expect(out).toContain('pwd');
});
