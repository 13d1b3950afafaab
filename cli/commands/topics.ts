import { createKafka, ensureTopics } from '../../topics/kafka.js';
import { topicDefinitions } from '../../topics/definitions.js';
import { createRegistry, registerInputSchemas } from '../../topics/registry.js';
import type { Command } from '../command.js';

export const topicsCommand: Command = {
  name: 'topics',
  summary: 'Create the topics and register the input schemas (idempotent)',
  usage: `Usage: kpi-stream topics <create|list>

  create   create missing topics with their partitions, retention and cleanup
           policy, check existing ones (a different partition count or cleanup
           policy is an error, never changed silently), and register the five
           input schemas under <topic>-value with compatibility BACKWARD
  list     print the topic definitions`,
  needs: (args) => (args[0] === 'create' ? ['kafka', 'registry'] : []),
  async run(args, { config, log }) {
    const definitions = topicDefinitions(config);
    if (args[0] === 'list') {
      for (const d of definitions) {
        process.stdout.write(`${d.name.padEnd(32)} partitions=${d.partitions} retention=${d.retentionMs / 86_400_000}d cleanup=${d.cleanupPolicy}  ${d.doc}\n`);
      }
      return 0;
    }
    if (args[0] !== 'create') {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const admin = createKafka(config, 'kpi-stream-topics', log).admin();
    await admin.connect();
    try {
      const report = await ensureTopics(admin, definitions, log);
      log.info(
        `topics: ${report.created.length} created, ${report.unchanged.length} already as defined${report.warnings.length ? `, ${report.warnings.length} warnings` : ''}`,
      );
    } finally {
      await admin.disconnect();
    }
    const ids = await registerInputSchemas(createRegistry(config), config, log);
    log.info(
      `schemas registered: ${Object.entries(ids)
        .map(([kind, id]) => `${kind}=${id}`)
        .join(' ')}`,
    );
    return 0;
  },
};
