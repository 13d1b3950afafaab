import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { createKafka } from '../kafka.js';
import { kafkajsClient } from './kafkajs.js';
import { platformaticClient } from './platformatic.js';
import type { KafkaClient, KafkaClientName } from './port.js';

/** The Kafka clients of the library KPI_KAFKA_CLIENT names (or `name`), connecting as the configuration says. */
export function kafkaClient(config: Config, clientId: string, log: Logger, name: KafkaClientName = config.kafkaClient): KafkaClient {
  switch (name) {
    case 'kafkajs':
      return kafkajsClient(createKafka(config, clientId, log), config);
    case 'platformatic':
      return platformaticClient(config, clientId, log);
  }
}
