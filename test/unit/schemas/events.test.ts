import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';
import { generateEventTypes } from '../../../schemas/generate.js';

test('schemas/events.ts is what the .avsc files generate (run `npm run schemas:generate` after changing a contract)', () => {
  const committed = readFileSync(join(projectRoot(), 'schemas', 'events.ts'), 'utf8');
  expect(committed).toBe(generateEventTypes());
});
