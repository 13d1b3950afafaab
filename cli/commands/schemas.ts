import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../core/paths.js';
import { generateEventTypes } from '../../schemas/generate.js';
import type { Command } from '../command.js';

export const schemasCommand: Command = {
  name: 'schemas',
  summary: 'Regenerate schemas/events.ts from the .avsc contracts',
  usage: 'Usage: kpi-stream schemas generate\n\nWrites schemas/events.ts, the TypeScript types of schemas/*.avsc.',
  async run(args, { log }) {
    if (args[0] !== 'generate') {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const target = join(projectRoot(), 'schemas', 'events.ts');
    writeFileSync(target, generateEventTypes());
    log.info({ target }, 'wrote event types');
    return 0;
  },
};
