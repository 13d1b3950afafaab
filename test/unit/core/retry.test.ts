import { runInNewContext } from 'node:vm';
import { createLogger } from '../../../core/logger.js';
import { retrying } from '../../../core/retry.js';

test('a failure that is not an Error of this realm (a string, an error of another vm context) is retried like any', async () => {
  for (const failure of [runInNewContext('new Error("write EPIPE")') as unknown, 'write EPIPE']) {
    let attempts = 0;
    const result = await retrying(
      async () => {
        attempts += 1;
        if (attempts < 3) throw failure;
        return 'written';
      },
      { what: 'inserting rows', log: createLogger('silent'), retriable: (error) => /EPIPE/.test(String((error as Error).message ?? error)), maxBackoffMs: 10 },
    );
    expect({ result, attempts }).toEqual({ result: 'written', attempts: 3 });
  }
});

test('a failure that may not pass is thrown at once, as it was', async () => {
  const refused = new Error('code 60: no such table');
  await expect(retrying(() => Promise.reject(refused), { what: 'reading', log: createLogger('silent'), retriable: () => false })).rejects.toBe(refused);
});
