import { describeValues } from '../../core/config.js';
import type { Command } from '../command.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'Print every configuration variable with its default and current value',
  usage:
    'Usage: kpi-stream config\n\nValidates the environment and prints each variable, its default, its value here and its meaning.\nSecrets are never printed; URLs are shown without credentials (and webhook URLs without their token).',
  async run(_args, { config }) {
    for (const setting of describeValues()) {
      const source = setting.from === 'file' ? '  (set, from a file)' : setting.from === 'env' ? '  (set)' : '';
      process.stdout.write(`${setting.env}=${setting.shown ?? setting.default}${source}\n    ${setting.doc}\n`);
    }
    process.stdout.write(
      `\n# resolved endpoints\nkafka       ${config.kafka.brokers.join(',')}\nregistry    ${config.registry.url}\nclickhouse  ${config.clickhouse.url}\n`,
    );
    return 0;
  },
};
