package io.kpistream.bench;

import org.apache.kafka.tools.ConsumerPerformance;

/**
 * Kafka's consumer performance tool (kafka-consumer-perf-test) over several
 * topics in one JVM: Kafka 3.9's tool reads one topic per run, so this runs
 * it once per topic, each printing its usual line of figures.
 *
 * Usage: ConsumerPerfTopics BOOTSTRAP GROUP TOPIC=MESSAGES...
 */
public final class ConsumerPerfTopics {
  public static void main(String[] args) {
    for (int i = 2; i < args.length; i++) {
      int eq = args[i].lastIndexOf('=');
      ConsumerPerformance.main(new String[] {
        "--bootstrap-server", args[0],
        "--group", args[1],
        "--topic", args[i].substring(0, eq),
        "--messages", args[i].substring(eq + 1),
        "--timeout", "30000",
        "--hide-header",
      });
    }
  }

  private ConsumerPerfTopics() {}
}
