package io.kpistream.bench;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The processors' work done by Kafka Streams, as a throughput baseline: read
 * the five input topics, decode Confluent-framed Avro, window each event by its
 * production or period time into daily tumbling windows per employee (10
 * minutes grace), and aggregate the same sums. Prints one JSON line with the
 * records processed, the seconds from start until the application runs
 * (start-up: joining the group, creating its internal topics and state
 * stores) and from then until every record was processed.
 *
 * Usage: StreamsBaseline BOOTSTRAP TOPIC_PREFIX SCHEMAS_DIR RECORDS STATE_DIR APPLICATION_ID
 */
public final class StreamsBaseline {
  private static final String[][] KINDS = {
    {"factory.production.v1", "ProductionReported"},
    {"factory.telemetry.v1", "MachineTelemetry"},
    {"quality.inspections.v1", "QualityInspected"},
    {"customer.feedback.v1", "CustomerFeedback"},
    {"hr.self_reports.v1", "SelfReported"},
  };
  private static final AtomicLong PROCESSED = new AtomicLong();
  private static final AtomicLong RUNNING_NANOS = new AtomicLong();

  /** What one event adds to its window. */
  record Contribution(long units, long standardMs, long runMs, long inspected, long defective, long feedback, long satisfactionMilli) {}

  /** The window aggregate: the same exact sums as kpi-stream's. */
  static final class Aggregate {
    long units, standardMs, runMs, inspected, defective, feedback, satisfactionMilli, events;

    Aggregate add(Contribution c) {
      units += c.units(); standardMs += c.standardMs(); runMs += c.runMs(); inspected += c.inspected();
      defective += c.defective(); feedback += c.feedback(); satisfactionMilli += c.satisfactionMilli(); events += 1;
      return this;
    }
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], prefix = args[1], schemasDir = args[2], stateDir = args[4], applicationId = args[5];
    long expected = Long.parseLong(args[3]);
    Map<String, Schema> schemas = new HashMap<>();
    for (String[] kind : KINDS) schemas.put(prefix + kind[0], new Schema.Parser().parse(Files.readString(new File(schemasDir, kind[1] + ".avsc").toPath())));

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(schemas.keySet().stream().toList(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .processValues(() -> new Decode(schemas, prefix))
        .groupByKey(Grouped.with(Serdes.String(), contributionSerde()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofDays(1), Duration.ofMinutes(10)))
        .aggregate(Aggregate::new, (key, contribution, aggregate) -> aggregate.add(contribution),
            Materialized.<String, Aggregate, WindowStore<Bytes, byte[]>>as("employee-windows")
                .withKeySerde(Serdes.String()).withValueSerde(aggregateSerde()));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);

    long started = System.nanoTime();
    try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
      streams.setStateListener((now, before) -> {
        if (now == KafkaStreams.State.RUNNING) RUNNING_NANOS.compareAndSet(0, System.nanoTime());
      });
      streams.start();
      long deadline = System.currentTimeMillis() + 600_000;
      while (PROCESSED.get() < expected && System.currentTimeMillis() < deadline) Thread.sleep(5);
      long finished = System.nanoTime();
      long first = RUNNING_NANOS.get();
      System.out.printf(
          "{\"records\":%d,\"startupSeconds\":%.3f,\"seconds\":%.3f}%n",
          PROCESSED.get(), (first - started) / 1e9, (finished - first) / 1e9);
      streams.close(Duration.ofSeconds(30));
    }
  }

  /** Decodes a record and gives it the time of the window it belongs to. */
  static final class Decode implements FixedKeyProcessor<String, byte[], Contribution> {
    private final Map<String, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private final String prefix;
    private FixedKeyProcessorContext<String, Contribution> context;
    private BinaryDecoder decoder;

    Decode(Map<String, Schema> schemas, String prefix) {
      schemas.forEach((topic, schema) -> readers.put(topic, new GenericDatumReader<>(schema)));
      this.prefix = prefix;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, Contribution> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
      PROCESSED.incrementAndGet();
      byte[] value = record.value();
      if (value == null || value.length < 5 || value[0] != 0) return;
      String topic = context.recordMetadata().orElseThrow().topic();
      GenericRecord event;
      try {
        decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder);
        event = readers.get(topic).read(null, decoder);
      } catch (IOException | RuntimeException e) {
        return;
      }
      String kind = topic.substring(prefix.length());
      long time;
      Contribution c;
      switch (kind) {
        case "factory.production.v1" -> {
          long units = (Integer) event.get("units");
          time = (Long) event.get("event_time");
          c = new Contribution(units, units * Math.round((Double) event.get("standard_seconds_per_unit") * 1000), 0, 0, 0, 0, 0);
        }
        case "factory.telemetry.v1" -> {
          time = (Long) event.get("interval_start");
          c = new Contribution(0, 0, Math.round((Double) event.get("run_seconds") * 1000), 0, 0, 0, 0);
        }
        case "quality.inspections.v1" -> {
          time = (Long) event.get("production_time");
          c = new Contribution(0, 0, 0, (Integer) event.get("units_inspected"), (Integer) event.get("units_defective"), 0, 0);
        }
        case "customer.feedback.v1" -> {
          time = (Long) event.get("production_time");
          c = new Contribution(0, 0, 0, 0, 0, 1, Math.round((Double) event.get("satisfaction") * 1000));
        }
        default -> {
          time = (Long) event.get("period_start");
          c = new Contribution(0, 0, 0, 0, 0, 0, 0);
        }
      }
      // The record's time becomes the event time its window is chosen by.
      context.forward(record.withValue(c).withTimestamp(time));
    }
  }

  static Serde<Contribution> contributionSerde() {
    Serializer<Contribution> serializer = (topic, c) -> ByteBuffer.allocate(56)
        .putLong(c.units()).putLong(c.standardMs()).putLong(c.runMs()).putLong(c.inspected())
        .putLong(c.defective()).putLong(c.feedback()).putLong(c.satisfactionMilli()).array();
    Deserializer<Contribution> deserializer = (topic, bytes) -> {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      return new Contribution(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }

  static Serde<Aggregate> aggregateSerde() {
    Serializer<Aggregate> serializer = (topic, a) -> ByteBuffer.allocate(64)
        .putLong(a.units).putLong(a.standardMs).putLong(a.runMs).putLong(a.inspected)
        .putLong(a.defective).putLong(a.feedback).putLong(a.satisfactionMilli).putLong(a.events).array();
    Deserializer<Aggregate> deserializer = (topic, bytes) -> {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      Aggregate a = new Aggregate();
      a.units = b.getLong(); a.standardMs = b.getLong(); a.runMs = b.getLong(); a.inspected = b.getLong();
      a.defective = b.getLong(); a.feedback = b.getLong(); a.satisfactionMilli = b.getLong(); a.events = b.getLong();
      return a;
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }

  private StreamsBaseline() {}
}
