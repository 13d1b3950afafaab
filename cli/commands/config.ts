import { describeSettings } from '../../core/config.js';
import type { Command } from '../command.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'Print every configuration variable with its default and current value',
  usage: 'Usage: kpi-stream config\n\nValidates the environment and prints each variable, its default, its value here and its meaning.',
  async run(_args, { config }) {
    for (const setting of describeSettings()) {
      const current = process.env[setting.env];
      const shown = setting.env.includes('PASSWORD') && current ? '[redacted]' : current;
      process.stdout.write(`${setting.env}=${shown ?? setting.default}${shown === undefined ? '' : '  (set)'}\n    ${setting.doc}\n`);
    }
    process.stdout.write(`\n# resolved endpoints\nkafka       ${config.kafka.brokers.join(',')}\nregistry    ${config.registry.url}\nclickhouse  ${config.clickhouse.url}\n`);
    return 0;
  },
};
