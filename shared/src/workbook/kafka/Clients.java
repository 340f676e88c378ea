package workbook.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import workbook.story.Story;

/**
 * Kafka clients with the settings a lab should see, each with its reason. Keys and values are
 * strings (events are JSON text: readable in the timeline and in any tool). The config methods
 * return a mutable map: change what your lab teaches, then build the client from it.
 */
public final class Clients {
  private Clients() {}

  /** Producer settings for {@link Broker#bootstrapServers()}; client.id names it in the timeline. */
  public static Map<String, Object> producerConfig(String clientId) {
    return producerConfig(clientId, Broker.bootstrapServers());
  }

  /** The same settings for another broker (e.g. one of your own from {@link Broker#startOwn()}). */
  public static Map<String, Object> producerConfig(String clientId, String bootstrapServers) {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    // The broker acknowledges only once every in-sync replica has the record: an acknowledged
    // event survives the loss of the partition leader.
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    // A retry after a lost acknowledgement neither writes a duplicate nor reorders a partition.
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // With no broker reachable, send() gives up after 10 s with an error instead of blocking a
    // minute, and an unacknowledged record fails after 30 s (Kafka: 60 s and 2 min).
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    c.put(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, List.of(Timeline.ProducerTrace.class));
    return c;
  }

  /**
   * Consumer settings: a member of {@code groupId} reading from the oldest retained record when
   * the group has no committed offset yet. Offsets are committed automatically after each poll;
   * for a manual commit put {@code enable.auto.commit=false} and call commitSync yourself.
   */
  public static Map<String, Object> consumerConfig(String groupId, String clientId) {
    return consumerConfig(groupId, clientId, Broker.bootstrapServers());
  }

  /** The same settings for another broker (e.g. one of your own from {@link Broker#startOwn()}). */
  public static Map<String, Object> consumerConfig(String groupId, String clientId, String bootstrapServers) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    // A new group starts at the oldest record still kept, so records sent before the consumer
    // joined are read (Kafka's default, "latest", starts at the end and silently skips them).
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Kafka's default, said out loud: the offsets returned by poll() are committed at a later
    // poll() or at close(), so a record is committed only after the loop has handled it.
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
    // Members hear about a rebalance at their next heartbeat: every 500 ms instead of 3 s, so a
    // group of three settles in about a second. A member that vanishes without close() is
    // noticed after 10 s instead of 45 s.
    c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
    c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
    // A fetch with nothing to return waits at the broker for up to 100 ms instead of 500 ms, and
    // close() waits for that answer: closing a consumer took half a second.
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, List.of(Timeline.ConsumerTrace.class));
    return c;
  }

  public static KafkaProducer<String, String> producer(String clientId) {
    return producer(producerConfig(clientId));
  }

  public static KafkaProducer<String, String> producer(Map<String, Object> config) {
    return new KafkaProducer<>(config);
  }

  public static KafkaConsumer<String, String> consumer(String groupId, String clientId) {
    return consumer(consumerConfig(groupId, clientId));
  }

  public static KafkaConsumer<String, String> consumer(Map<String, Object> config) {
    return new KafkaConsumer<>(config);
  }

  /**
   * Leaves a client's records out of the printed timeline (a load of thousands of records would
   * bury the story): tell the test's story yourself with {@link Timeline#note}. The run's page
   * still draws them, summarised: which partition each record went to, who read it, when.
   */
  public static Map<String, Object> withoutTimeline(Map<String, Object> config) {
    // The same key for consumers; a consumer's config is the one with a key deserializer.
    config.put(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, List.of(config.containsKey(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG)
        ? Timeline.BulkConsumerTrace.class : Timeline.BulkProducerTrace.class));
    return config;
  }

  /** Subscribes, and tells the timeline which partitions the consumer got and where it starts. */
  public static void subscribe(KafkaConsumer<String, String> consumer, String topic) {
    subscribe(consumer, topic, assigned -> { });
  }

  /**
   * As {@link #subscribe(KafkaConsumer, String)}, then calls {@code onAssigned} on the polling
   * thread once the starting positions are known: records sent after it are sure to be read.
   */
  public static void subscribe(KafkaConsumer<String, String> consumer, String topic,
      Consumer<Collection<TopicPartition>> onAssigned) {
    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> starts = new HashMap<>();
        // position() resolves auto.offset.reset now, rather than at the first fetch.
        for (TopicPartition tp : partitions) starts.put(tp, consumer.position(tp));
        if (!starts.isEmpty()) {
          String client = clientId(consumer);
          String group = consumer.groupMetadata().groupId();
          // A note on the consumer's lane: which partitions it got, and where it starts reading.
          Story.entry(Story.Kind.NOTE, client).group(group).topic(topic)
              .line(Timeline.wide("starts", topic, "at " + Timeline.positions(starts), Timeline.who(client, group))).add();
        }
        onAssigned.accept(partitions);
      }

      @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) { }
    });
  }

  /** The client.id Kafka registered the consumer under ("consumer-<group>-<n>" if none given). */
  private static String clientId(KafkaConsumer<String, String> consumer) {
    return consumer.metrics().keySet().stream().map(n -> n.tags().get("client-id"))
        .filter(id -> id != null).findFirst().orElse("consumer");
  }
}
