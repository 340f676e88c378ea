///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../src/workbook/kafka/*.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Poll;
import workbook.kafka.Topics;
import workbook.story.Story;

/** The workbook's own check of the Kafka helpers every event lab uses, the timeline above all. */
@DisplayName("Workbook: the Kafka helpers")
@Timeout(60)
class KafkaHelpersTest {
  public static void main(String[] args) { workbook.test.LabTests.run(KafkaHelpersTest.class, args); }

  @Test
  @DisplayName("a fresh topic has the partitions asked for, is empty, and takes records at once")
  void freshTopic() throws Exception {
    String topic = Topics.fresh("fresh", 6);
    assertThat(Topics.endOffsets(topic)).as("end offsets of a new topic").hasSize(6).allSatisfy((p, o) -> assertThat(o).isZero());
    try (KafkaProducer<String, String> producer = Clients.producer("shop")) {
      for (int i = 0; i < 500; i++) producer.send(new ProducerRecord<>(topic, "k" + i, "v"));
      producer.flush();
    }
    assertThat(Topics.endOffsets(topic).values().stream().mapToLong(Long::longValue).sum()).as("records kept").isEqualTo(500);
    // the next one of the same kind was made in the background: another topic, as new
    String next = Topics.fresh("fresh", 6);
    assertThat(next).as("the next fresh topic").isNotEqualTo(topic).startsWith("fresh-");
    assertThat(Topics.endOffsets(next)).as("end offsets of the next new topic").hasSize(6).allSatisfy((p, o) -> assertThat(o).isZero());
  }

  @Test
  @DisplayName("the timeline tells each record sent and read: partition, offset, key, event type, reader")
  void timeline() throws Exception {
    String topic = Topics.fresh("orders", 1);
    send(Clients.producerConfig("shop"), topic, "order-1", "order.confirmed");
    try (KafkaConsumer<String, String> consumer = Clients.consumer(Topics.unique("inventory"), "inventory")) {
      Clients.subscribe(consumer, topic);
      Poll.records(consumer, 1, Duration.ofSeconds(15));
      consumer.commitSync();
    }
    List<String> story = Story.drain();
    assertThat(story).as("the story").anySatisfy(l -> assertThat(l).matches("sent +" + topic + " +p0@0 +order-1 +order\\.confirmed +by shop"))
        .anySatisfy(l -> assertThat(l).matches("starts +" + topic + " +at p0@0 +by inventory \\(group inventory-\\w+\\)"))
        .anySatisfy(l -> assertThat(l).matches("read +" + topic + " +p0@0 +order-1 +order\\.confirmed +by inventory .*"))
        .anySatisfy(l -> assertThat(l).matches("commit +" + topic + " +next p0@1 +by inventory .*"));
  }

  @Test
  @DisplayName("a client built without the timeline stays out of the story")
  void withoutTimeline() throws Exception {
    send(Clients.withoutTimeline(Clients.producerConfig("loader")), Topics.fresh("bulk", 1), "k", "bulk.loaded");
    assertThat(Story.drain()).as("the story").noneMatch(l -> l.contains("loader"));
  }

  @Test
  @DisplayName("a bounded poll fails after its time with what did arrive; lag counts what is not committed")
  void boundedPollAndLag() throws Exception {
    String topic = Topics.fresh("orders", 2);
    String group = Topics.unique("inventory");
    send(Clients.producerConfig("shop"), topic, "order-1", "order.confirmed");
    try (KafkaConsumer<String, String> consumer = Clients.consumer(group, "inventory")) {
      Clients.subscribe(consumer, topic);
      assertThatThrownBy(() -> Poll.records(consumer, 3, Duration.ofSeconds(3))).isInstanceOf(AssertionError.class)
          .hasMessageContaining("expected 3 record(s) within 3 s, but 1 arrived").hasMessageContaining("order-1 order.confirmed");
      consumer.commitSync();
    }
    assertThat(Topics.lag(group, topic)).as("lag after reading and committing everything").isZero();
    send(Clients.producerConfig("shop"), topic, "order-2", "order.cancelled");
    assertThat(Topics.lag(group, topic)).as("lag after one more record").isEqualTo(1);
  }

  private static void send(Map<String, Object> config, String topic, String key, String type) throws Exception {
    try (KafkaProducer<String, String> producer = Clients.producer(config)) {
      producer.send(new ProducerRecord<>(topic, key, Json.write(Map.of("eventType", type)))).get();
    }
  }
}
