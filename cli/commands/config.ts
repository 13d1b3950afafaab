import { describeValues } from '../../core/config.js';
import type { Command } from '../command.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'Print every configuration variable with its default and current value',
  usage:
    'Usage: kpi-stream config\n\nValidates the environment and prints each variable, its default, its value here and its meaning;\nthe settings of the local services (development only) come last.\nSecrets are never printed; URLs are shown without credentials (and webhook URLs without their token).',
  async run(_args, { config }) {
    const values = describeValues();
    const print = (setting: (typeof values)[number]) => {
      const source = setting.from === 'file' ? '  (set, from a file)' : setting.from === 'env' ? '  (set)' : '';
      process.stdout.write(`${setting.env}=${setting.shown ?? setting.default}${source}\n    ${setting.doc}\n`);
    };
    values.filter((setting) => !setting.localService).forEach(print);
    process.stdout.write('\n# local services (development only: `services up`, the demo, the tests)\n');
    values.filter((setting) => setting.localService).forEach(print);
    process.stdout.write(
      `\n# resolved endpoints\nkafka       ${config.kafka.brokers.join(',')}\nregistry    ${config.registry.url}\nclickhouse  ${config.clickhouse.url}\n`,
    );
    return 0;
  },
};
