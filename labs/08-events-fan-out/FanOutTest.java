///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES FanOut.java ../../shared/src/workbook/test/*.java ../../shared/src/workbook/faults/*.java

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.faults.Crash;
import workbook.faults.Schedules;
import workbook.kafka.Broker;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Poll;
import workbook.kafka.Timeline;
import workbook.kafka.Topics;
import workbook.test.WaitsLong;

@DisplayName("Lab 08: Events and fan-out")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class FanOutTest {
  public static void main(String[] args) { workbook.test.LabTests.run(FanOutTest.class, args); }

  static final Duration WAIT = Duration.ofSeconds(15);
  static final List<String> ROLES = List.of("inventory", "notification", "analytics", "shipping");
  private final Deque<AutoCloseable> open = new ArrayDeque<>();

  /**
   * How long a loaded broker's group coordinator takes to answer in the test that stops inventory in the middle of an
   * event (workbook.faults.SlowCoordinatorAnswers): only just within the consumer's own close() limit, 30 s. A consumer
   * closed with less time gives up the commit of what it handled, as close(Duration.ZERO) does; closed with its own
   * limit, it waits for the answer. Nothing really waits: on localhost the answer comes at once.
   */
  static final Duration COORDINATOR_ANSWERS = Duration.ofSeconds(30);

  @AfterEach
  void closeEverything() throws Exception {
    try {
      while (!open.isEmpty()) open.pop().close();
    } finally {
      Service.newConsumer = workbook.kafka.Clients::consumer;
    }
  }

  @Test
  @DisplayName("an envelope becomes JSON with its seven fields by name, and comes back equal")
  void envelopeRoundTrip() throws Exception {
    Envelope event = envelope(1);
    JsonNode json = Json.mapper().readTree(event.toJson());
    List<String> fields = new ArrayList<>();
    json.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).as("the fields of %s", json)
        .containsExactlyInAnyOrder("eventId", "eventType", "correlationId", "causationId", "timestamp", "source", "data");
    assertThat(json.get("timestamp").asText()).as("the timestamp, as ISO-8601 text").isEqualTo(event.timestamp().toString());
    assertThat(Envelope.fromJson(event.toJson())).as("the envelope read back from its JSON").isEqualTo(event);
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: Wrap the event in an envelope")
  class Step1 {
    @Test
    @DisplayName("the first event of an action gets a new id, the action as correlation and cause, and the time")
    void firstEvent() {
      Instant before = Instant.now();
      Envelope e = Envelope.first("order.confirmed", "shop", "checkout-7", order(7));
      Instant after = Instant.now();
      assertThat(e.eventId()).as("TODO 1: eventId should be a new random id (UUID), not the action's or the order's")
          .isNotBlank().isNotEqualTo("checkout-7").isNotEqualTo("o-7");
      assertRandomUuid(e.eventId());
      assertThat(e.correlationId()).as("TODO 1: correlationId should be the user action's id, shared by everything it causes")
          .isEqualTo("checkout-7");
      assertThat(e.causationId()).as("TODO 1: causationId of the first event should be the action that caused it")
          .isEqualTo("checkout-7");
      // A time stamped to the millisecond (as Kafka stamps records) is the moment too: the lower bound is cut to it.
      assertThat(e.timestamp()).as("TODO 1: timestamp should be the moment the event was made (Instant.now())")
          .isBetween(before.truncatedTo(java.time.temporal.ChronoUnit.MILLIS), after);
      assertThat(List.of(String.valueOf(e.eventType()), String.valueOf(e.source())))
          .as("TODO 1: eventType and source, as given").containsExactly("order.confirmed", "shop");
      assertThat(e.data()).as("TODO 1: data should be the order as a JSON tree (Json.tree(data))").isNotNull();
      assertThat(e.data(Shop.Order.class)).as("TODO 1: the data read back as an order").isEqualTo(order(7));
    }

    @Test
    @DisplayName("every event gets an id of its own, even two events of the same order and action, or of one cause, or of another process")
    void newIdEveryTime() throws Exception {
      Set<String> ids = IntStream.range(0, 5)
          .mapToObj(i -> Envelope.first("order.confirmed", "shop", "checkout-7", order(7)).eventId())
          .collect(Collectors.toCollection(java.util.HashSet::new));
      assertThat(ids).as("TODO 1: the eventIds of five events: consumers recognise a redelivered event by its id,"
          + " so no two events may share one").hasSize(5).doesNotContainNull();
      // One event may cause two of one type (an order shipped from two warehouses): two events, two ids.
      Envelope cause = Envelope.first("order.confirmed", "shop", "checkout-7", order(7));
      List<String> caused = List.of(cause.causes("shipment.requested", "shipping", Map.of("orderId", "o-7", "box", 1)),
          cause.causes("shipment.requested", "shipping", Map.of("orderId", "o-7", "box", 2))).stream()
          .map(Envelope::eventId).toList();
      assertThat(caused).as("TODO 1: the eventIds of two shipment.requested events caused by one order.confirmed"
          + " (%s): an id made from the cause and the type is the same for both, and consumers drop the second as a"
          + " redelivery. Every event gets a new random id", Envelope.shortId(cause.eventId()))
          .doesNotHaveDuplicates().doesNotContainNull().noneMatch(ids::contains);
      ids.addAll(caused);
      ids.add(cause.eventId());
      ids.forEach(FanOutTest::assertRandomUuid);
      // A restarted shop, or a second instance of it, is another process: its ids are new as well.
      List<String> printed = inANewProcess(EventIds.class).lines().toList();
      List<String> other = printed.stream().filter(l -> !l.startsWith("time ")).toList();
      assertThat(other).as("TODO 1: the eventIds of events made by a new process (a restarted shop, or a second"
          + " instance), against this process's %s: an id counted up in one process (1, 2, 3, ...) starts over in the"
          + " next one, and consumers drop its events as redeliveries. Every event gets a new random id (UUID)", ids)
          .hasSize(3).doesNotHaveDuplicates().noneMatch(ids::contains);
      other.forEach(FanOutTest::assertRandomUuid);
      // That process also made events on machines in UTC+14 and UTC-12 (its default time zone set to each), in a zone
      // whose clock fell back an hour ago and in one whose clock falls back in an hour (daylight saving ending): an event's
      // time is the instant it was made, whatever the machine's zone (no wall clock read as if it were UTC, nor read back
      // through the zone, ambiguous once a year: the earlier offset is wrong after the fall back, the later one before it).
      List<String> times = printed.stream().filter(l -> l.startsWith("time ")).toList();
      assertThat(times).as("the times a new JVM running EventIds printed: %s", printed).hasSize(8);
      List<String> off = times.stream().map(l -> l.split(" ")).filter(t -> {
        Instant before = Instant.parse(t[3]), made = Instant.parse(t[4]), after = Instant.parse(t[5]);
        return made.isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)) || made.isAfter(after);
      }).map(t -> t[2] + " in " + t[1] + ": stamped " + t[4] + ", made between " + t[3] + " and " + t[5]).toList();
      assertThat(off).as("TODO 1: events stamped with another time than the instant they were made, on a machine"
          + " whose time zone is not UTC: the timestamp is the moment itself (Instant.now()), the same on every"
          + " machine. A wall clock read in the machine's zone and called UTC (LocalDateTime.now().toInstant("
          + "ZoneOffset.UTC)) is hours off everywhere but in UTC, and orders a chain's events by where they were made;"
          + " one read back through the zone (LocalDateTime.now().atZone(ZoneId.systemDefault())) is hours off in the"
          + " hour after the clock falls back (Workbook/FallBack), when each local time happens twice, and taking the"
          + " later of the two (withLaterOffsetAtOverlap(), or java.sql.Timestamp.valueOf(LocalDateTime.now()), which"
          + " takes standard time) is hours off in the hour before it falls back (Workbook/FallsBack)")
          .isEmpty();
    }

    @Test
    @DisplayName("an event caused by another keeps its correlation id, names that event as its cause, and has its own id and time")
    void causedEvent() {
      // The cause was made by another service a minute, half a second or a millisecond ago, so its fields are all
      // told apart: a caused event has its own time, however close to its cause's. Or by a service whose clock is two
      // seconds ahead of this one's (clocks differ): its time is still this service's now, not its cause's plus a bit.
      for (Duration age : List.of(Duration.ofSeconds(60), Duration.ofMillis(500), Duration.ofMillis(1),
          Duration.ofSeconds(-2))) {
        causedEvent(Instant.now().minus(age));
      }
    }

    void causedEvent(Instant causeMade) {
      Envelope confirmed = new Envelope(UUID.randomUUID().toString(), "order.confirmed", "checkout-7", "request-41",
          causeMade, "shop", Json.tree(order(7)));
      Instant before = Instant.now();
      Envelope shipment = confirmed.causes("shipment.requested", "shipping", Map.of("orderId", "o-7"));
      Instant after = Instant.now();
      assertThat(shipment.eventId()).as("TODO 1: the caused event's eventId should be new: a consumer that already"
          + " saw %s would drop it as a redelivery", confirmed.eventId())
          .isNotBlank().isNotEqualTo(confirmed.eventId()).isNotEqualTo("checkout-7");
      assertRandomUuid(shipment.eventId());
      assertThat(shipment.correlationId()).as("TODO 1: correlationId should stay the same along the whole chain of"
          + " one user action (checkout-7), so one search finds all of it").isEqualTo("checkout-7");
      assertThat(shipment.causationId()).as("TODO 1: causationId should be the eventId of the event that caused this"
          + " one (order.confirmed %s), not its correlationId nor its own cause", confirmed.eventId())
          .isEqualTo(confirmed.eventId());
      assertThat(List.of(String.valueOf(shipment.eventType()), String.valueOf(shipment.source())))
          .as("TODO 1: eventType and source, as given").containsExactly("shipment.requested", "shipping");
      long earlier = Duration.between(causeMade, before).toMillis();
      assertThat(shipment.timestamp()).as("TODO 1: timestamp should be when the caused event was made"
          + " (Instant.now()), not its cause's (%s, %s): every event carries the moment it was made by its own"
          + " service's clock, however close to its cause's, and also when the cause's clock is ahead (no \"at least"
          + " the cause's time\": the order of a chain is in its causationIds, not in its clocks)", confirmed.timestamp(),
          earlier >= 0 ? "made " + earlier + " ms earlier" : "stamped " + -earlier + " ms ahead by a clock ahead of this"
          + " one").isBetween(before.truncatedTo(java.time.temporal.ChronoUnit.MILLIS), after); // to the ms is its time
      assertThat(shipment.data()).as("TODO 1: data should be the caused event's own data (Json.tree(data)), not its"
          + " cause's").isEqualTo(Json.tree(Map.of("orderId", "o-7")));
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: Publish and move on")
  class Step2 {
    @Test
    @DisplayName("a published event is one record, keyed by its order id, holding the whole envelope as JSON")
    void oneRecordKeyedByOrder() throws Exception {
      String topic = Topics.fresh("orders", 3);
      Envelope event = envelope(1);
      KafkaProducer<String, String> producer = use(Clients.producer("shop"));
      Shop.publish(producer, topic, event);
      producer.flush();
      var checker = use(Clients.consumer(Topics.unique("checker"), "checker"));
      Clients.subscribe(checker, topic);
      ConsumerRecord<String, String> record = records(checker, 1, "TODO 2: publish should send the event to the"
          + " topic it is given (" + topic + ")").get(0);
      assertThat(total(Topics.endOffsets(topic))).as("TODO 2: records on the topic after one publish: one event is"
          + " one record, however many services read it").isEqualTo(1);
      assertThat(record.key()).as("TODO 2: the key should be the order id, so that all events of one order share a"
          + " partition and stay in order (lab 09)").isEqualTo("o-1");
      assertThat(parse(record.value())).as("TODO 2: the value should be the whole envelope as JSON (event.toJson()),"
          + " eventId and correlationId included, not only the order").isEqualTo(event);
      // Keyed by the order id as it is, whatever its shape (generated, seed printed): ids that differ only in case or in
      // spaces around them, share a long beginning, hash alike or are long; by publish and by confirm alike. (A producer
      // that records what it is given: no broker.)
      long seed = new java.util.Random().nextLong();
      List<String> ids = new ArrayList<>(Topics.distinctNames(new java.util.Random(seed), "o-1"));
      for (String other : List.of("O-1", " o-1", "o-1 ", " o-1 ")) if (!ids.contains(other)) ids.add(other);
      java.util.Random longer = new java.util.Random(seed); // and long ids: a key has no length limit of its own
      // One past each power of two from 256 to 1 MiB (Kafka's default max.request.size, past which a record is refused
      // anyway): a cut at any length, a protocol string's 32,767 or a char's 65,535 too, is not the order id.
      for (int length = 256; length <= 1 << 20; length *= 2) {
        char[] letters = new char[length - 1];
        for (int i = 0; i < letters.length; i++) letters[i] = (char) ('a' + longer.nextInt(26));
        ids.add("o-" + new String(letters));
      }
      var published = new org.apache.kafka.clients.producer.MockProducer<String, String>(true, null,
          new org.apache.kafka.common.serialization.StringSerializer(),
          new org.apache.kafka.common.serialization.StringSerializer());
      var confirmed = new org.apache.kafka.clients.producer.MockProducer<String, String>(true, null,
          new org.apache.kafka.common.serialization.StringSerializer(),
          new org.apache.kafka.common.serialization.StringSerializer());
      List<String> wrong = new ArrayList<>();
      List<String> failedConfirms = new ArrayList<>();
      try (Shop shop = new Shop("orders", confirmed)) {
        for (String id : ids) {
          Shop.Order order = new Shop.Order(id, "customer@example.com", List.of(new Shop.Line("mug", 1, 1250)));
          Shop.publish(published, "orders", Envelope.first("order.confirmed", "shop", "checkout-1", order));
          try {
            shop.confirm(order, "checkout-1");
          } catch (Exception e) { // told below, as a record confirm did not key right
            if (failedConfirms.size() < 3) failedConfirms.add("\"" + shown(id) + "\": " + e);
          }
        }
      }
      for (var path : Map.of("publish", published.history(), "confirm", confirmed.history()).entrySet()) {
        for (int i = 0; i < ids.size(); i++) {
          String key = i < path.getValue().size() ? path.getValue().get(i).key() : "(no record)";
          if (!ids.get(i).equals(key)) wrong.add(path.getKey() + ": \"" + shown(ids.get(i)) + "\" keyed \""
              + shown(String.valueOf(key)) + "\"");
        }
      }
      assertThat(wrong.stream().limit(6).toList()).as("TODO 2: records not keyed by their order id as it is (%d of %d,"
          + " the first shown; order ids generated, seed %d): the key"
          + " is the whole order id (event.data().get(\"orderId\").asText()), not lower- or upper-cased, stripped, cut"
          + " or hashed: two orders whose ids differ only there would share a key, and an order's key would differ"
          + " from the one another producer gives it%s", wrong.size(), 2 * ids.size(), seed, failedConfirms.isEmpty() ? ""
          : " (confirm failed on a producer that acknowledges every send at once, e.g. " + failedConfirms + ")").isEmpty();
      // and the value is the envelope's own JSON (event.toJson()), field by field: the time as ISO-8601 text, as every
      // consumer reads it, not as another mapper writes it (a number of seconds)
      List<String> otherwise = new ArrayList<>();
      for (var path : Map.of("publish", published.history(), "confirm", confirmed.history()).entrySet()) {
        for (var r : path.getValue()) {
          JsonNode value = Json.mapper().readTree(r.value());
          JsonNode written = Json.mapper().readTree(parse(r.value()).toJson());
          List<String> fields = new ArrayList<>();
          value.fieldNames().forEachRemaining(f -> { if (!value.get(f).equals(written.get(f))) fields.add(f + " " + shown(
              String.valueOf(value.get(f))) + " (toJson() writes " + shown(String.valueOf(written.get(f))) + ")"); });
          written.fieldNames().forEachRemaining(f -> { if (!value.has(f)) fields.add(f + " missing"); });
          if (!fields.isEmpty() && otherwise.size() < 2) otherwise.add(path.getKey() + ": " + fields);
        }
      }
      assertThat(otherwise).as("TODO 2: records whose value is not the envelope's JSON as event.toJson() writes it"
          + " (the fields that differ): publish sends event.toJson() itself, the envelope's one format, whose"
          + " timestamp is ISO-8601 text. Another mapper (new ObjectMapper().findAndRegisterModules()) writes the time"
          + " as a number of seconds: this lab's consumers read it back, but a consumer in another language, or a search"
          + " for the events of a day, reads a number where the envelope promises a time").isEmpty();
    }

    @Test
    @DisplayName("the key decides the partition whatever the state of the cluster: the shop's producer gives each order its hash's partition, also while a partition's leader is down")
    void shopsPartitionFollowsTheKeyAlone() {
      // The tests' one-node broker never loses a partition's leader, so a partitioner that treats a partition without a
      // leader otherwise cannot be seen at work: the test asks the partitioner the shop's producer is made with (as
      // Kafka hands its settings to the producer's interceptors; Kafka's own where none is set, which hashes every key)
      // for the partition of each order, on topics of three and five partitions with every leader up, one or two down.
      int made = workbook.kafka.Timeline.producersMade().size();
      Map<String, Object> shops;
      try (Shop shop = new Shop(Topics.unique("orders"))) {
        List<Map<String, Object>> settings = workbook.kafka.Timeline.producersMade();
        settings = settings.subList(Math.min(made, settings.size()), settings.size());
        assertThat(settings).as("TODO 2: the producers new Shop(topic) made with the timeline's interceptor: make it"
            + " as given, from Clients.producerConfig(\"shop\")").hasSize(1);
        shops = settings.get(0);
      }
      // And publish's own path, on a producer that knows a cluster of three or five partitions with every leader up, or
      // one or two partitions' leaders down: publish leaves the partition to the key (no partition named on the record),
      // or names the one the key hashes to over all the topic's partitions, never one picked among those whose leader is
      // up (a producer that records what it is given: no broker).
      List<String> named = new ArrayList<>();
      for (int partitions : List.of(3, 5)) {
        for (Set<Integer> down : leadersDown(partitions)) {
          var recording = new org.apache.kafka.clients.producer.MockProducer<String, String>(cluster(partitions, down),
              true, null, new org.apache.kafka.common.serialization.StringSerializer(),
              new org.apache.kafka.common.serialization.StringSerializer());
          for (int n = 1; n <= 60; n++) Shop.publish(recording, "orders", envelope(n));
          for (var r : recording.history()) {
            int expected = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                r.key().getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
            if (r.partition() != null && r.partition() != expected && named.size() < 3) {
              named.add(r.key() + " sent to p" + r.partition() + " of " + partitions + ", its key hashes to p" + expected
                  + (down.isEmpty() ? " (every leader up)" : " (the leader of p" + down + " down)"));
            }
          }
        }
      }
      assertThat(named).as("TODO 2: events publish sent to a partition it named itself, elsewhere than the partition"
          + " their key hashes to (murmur2 of the order id, modulo the topic's partition count), with every leader up or"
          + " one or two partitions' leaders down (a broker restarting), e.g. %s. The key alone decides the partition,"
          + " whatever the state of the cluster: a partition picked among those whose leader is up (producer.partitionsFor,"
          + " leader() != null) sends an order's events elsewhere while a broker is down, and its confirm and its cancel"
          + " land on two partitions, read in no fixed order. Leave the partition to the key (new ProducerRecord<>(topic,"
          + " key, value))", named).isEmpty();
      var partitioner = new ProducerConfig(shops).getConfiguredInstance(ProducerConfig.PARTITIONER_CLASS_CONFIG,
          org.apache.kafka.clients.producer.Partitioner.class);
      if (partitioner == null) return; // Kafka's built-in partitioner: the partition of a key is its hash's
      List<String> elsewhere = new ArrayList<>();
      try {
        for (int partitions : List.of(3, 5)) {
          for (Set<Integer> down : leadersDown(partitions)) {
            var cluster = cluster(partitions, down);
            for (int n = 1; n <= 200; n++) {
              String key = "o-" + n;
              byte[] bytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
              int expected = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                  bytes)) % partitions;
              String value = envelope(n).toJson();
              int got = partitioner.partition("orders", key, bytes, value,
                  value.getBytes(java.nio.charset.StandardCharsets.UTF_8), cluster);
              if (got != expected && elsewhere.size() < 3) {
                elsewhere.add(key + " on p" + got + " of " + partitions + ", its key hashes to p" + expected
                    + (down.isEmpty() ? " (every leader up)" : " (the leader of p" + down + " down)"));
              }
            }
          }
        }
      } finally {
        partitioner.close();
      }
      assertThat(elsewhere).as("TODO 2: orders the shop's partitioner (%s, set on the producer new Shop(topic) makes)"
          + " sends elsewhere than the partition their key hashes to (murmur2 of the order id, modulo the topic's"
          + " partition count) with every leader up, or one or two partitions' leaders down (a broker restarting), e.g."
          + " %s. The key alone decides the partition, whatever the state of the cluster: a partitioner that hashes the"
          + " key over the partitions whose leader is up sends an order's events elsewhere while a broker is down, and"
          + " its confirm and its cancel land on two partitions, read in no fixed order. Leave the shop's producer as"
          + " Clients.producer(\"shop\") makes it", partitioner.getClass().getName(), elsewhere).isEmpty();
    }

    /** The states of a cluster the partition is checked in: every leader up, each partition's leader down, two down. */
    List<Set<Integer>> leadersDown(int partitions) {
      List<Set<Integer>> states = new ArrayList<>(List.of(Set.of()));
      for (int p = 0; p < partitions; p++) states.add(Set.of(p));
      states.add(Set.of(0, partitions - 1));
      return states;
    }

    /** A one-node cluster whose topic "orders" has {@code partitions} partitions, those in {@code down} without a leader. */
    org.apache.kafka.common.Cluster cluster(int partitions, Set<Integer> down) {
      var node = new org.apache.kafka.common.Node(0, "localhost", 9092);
      List<org.apache.kafka.common.PartitionInfo> infos = IntStream.range(0, partitions).mapToObj(p ->
          new org.apache.kafka.common.PartitionInfo("orders", p, down.contains(p) ? null : node,
              new org.apache.kafka.common.Node[] {node}, down.contains(p) ? new org.apache.kafka.common.Node[0]
              : new org.apache.kafka.common.Node[] {node})).toList();
      return new org.apache.kafka.common.Cluster("workbook", List.of(node), infos, Set.of(), Set.of());
    }

    @Test
    @DisplayName("the key decides the partition: each order's events share the one Kafka's partitioner picks for its id")
    void keyDecidesThePartition() throws Exception {
      // On the demo's count (three) and another (five): the partition follows from the key and the topic's own count.
      for (int partitions : List.of(3, 5)) keyDecidesThePartition(partitions);
    }

    void keyDecidesThePartition(int partitions) throws Exception {
      String topic = Topics.fresh("orders", partitions);
      KafkaProducer<String, String> producer = use(Clients.producer("shop"));
      // Two events for each of twelve orders: the orders spread over all the partitions.
      Map<String, List<Future<RecordMetadata>>> sent = new java.util.TreeMap<>();
      for (int round = 0; round < 2; round++) {
        for (int n = 1; n <= 12; n++) {
          sent.computeIfAbsent("o-" + n, k -> new ArrayList<>()).add(Shop.publish(producer, topic, envelope(n)));
        }
      }
      producer.flush();
      for (var order : sent.entrySet()) {
        int expected = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
            order.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
        for (Future<RecordMetadata> f : order.getValue()) {
          RecordMetadata stored;
          try {
            stored = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
          } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("TODO 2: an event of order " + order.getKey() + " was refused on a topic of "
                + partitions + " partitions (" + e.getCause() + "): leave the partition to the key (new"
                + " ProducerRecord<>(topic, key, value)); a partition computed from a count written into the code does"
                + " not exist on a topic of another count", e);
          }
          assertThat(stored.partition()).as("TODO 2: the partition of an event of order %s: leave the partition to the"
              + " key (new ProducerRecord<>(topic, key, value)), so that Kafka's partitioner puts all of one order's"
              + " events on partition %d of %d, and other orders elsewhere; a partition named by the producer (one"
              + " computed from a count written into the code as well) takes that choice away", order.getKey(), expected,
              partitions).isEqualTo(expected);
        }
      }
    }

    @Test
    @DisplayName("publishing needs no consumer and waits for none: publish returns at once, confirm once the broker has the event")
    void noConsumerNeeded() throws Exception {
      // publish hands its record to send() itself, before it returns: two events of one order published one after the
      // other reach the producer in that order, from the publishing thread (a producer that records what it is given)
      List<String> sentFrom = new java.util.concurrent.CopyOnWriteArrayList<>();
      var recording = new org.apache.kafka.clients.producer.MockProducer<String, String>(true, null,
          new org.apache.kafka.common.serialization.StringSerializer(),
          new org.apache.kafka.common.serialization.StringSerializer()) {
        @Override public synchronized Future<RecordMetadata> send(ProducerRecord<String, String> record,
            org.apache.kafka.clients.producer.Callback callback) {
          sentFrom.add(Thread.currentThread().getName());
          return super.send(record, callback);
        }
      };
      Envelope first = envelope(2);
      Envelope again = envelope(2);
      Shop.publish(recording, "orders", first);
      Shop.publish(recording, "orders", again);
      String me = Thread.currentThread().getName();
      assertThat(List.of(recording.history().stream().map(r -> Envelope.shortId(parse(r.value()).eventId())).toList(),
          List.copyOf(sentFrom))).as("TODO 2: the events publish had handed to the producer when it returned, and the"
          + " threads that called send(), for two events of order o-2 published one after the other: publish calls"
          + " producer.send(...) itself and returns its future (expected [%s, %s] from this thread, %s). A send on"
          + " another thread (CompletableFuture.supplyAsync, an executor) happens after publish returned, in no fixed"
          + " order: an order's second event may be stored before its first, and a thread waits for each event",
          Envelope.shortId(first.eventId()), Envelope.shortId(again.eventId()), me)
          .isEqualTo(List.of(List.of(Envelope.shortId(first.eventId()), Envelope.shortId(again.eventId())),
              List.of(me, me)));
      String topic = Topics.fresh("orders", 3);
      // The producer holds records up to 5 s to fill a batch: a publish that waits for the broker waits that long.
      var config = Clients.producerConfig("shop");
      config.put(ProducerConfig.LINGER_MS_CONFIG, 5_000);
      KafkaProducer<String, String> producer = use(Clients.producer(config));
      Future<RecordMetadata> sent = Shop.publish(producer, topic, envelope(2));
      assertThat(sent).as("TODO 2: publish should return the future that producer.send(...) gives you").isNotNull();
      assertThat(sent.isDone()).as("TODO 2: publish returned an event the broker had already stored: it waited for"
          + " the broker itself (send(...).get()). Return send()'s future at once and let the caller decide whether"
          + " to wait: a caller publishing many events would otherwise wait a round trip for each").isFalse();
      producer.flush();
      RecordMetadata stored = sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(stored.topic()).as("TODO 2: the topic the broker stored the event in").isEqualTo(topic);
      assertThat(total(Topics.endOffsets(topic))).as("records kept on %s while no service runs at all", topic)
          .isEqualTo(1);
      Shop shop = use(new Shop(topic));
      var confirming = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return shop.confirm(order(3), "checkout-3");
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }, workbook.test.Background.OWN_THREAD);
      Envelope confirmed = null;
      try {
        confirmed = confirming.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
        fail("TODO 2: Shop.confirm did not return within 10 s while no service was running (" + e + "): it"
            + " waits for a consumer (inventory's lag, a reply). The shop waits for the broker's acknowledgement"
            + " only; a consumer that is down reads the event when it is back, and nothing cascades to the shop");
      }
      // The producer tells its interceptors (the timeline) of the broker's acknowledgement before send()'s
      // future completes: a confirm that waited for it finds it recorded when it returns.
      String id = confirmed.eventId();
      assertThat(workbook.story.Story.entries().stream().filter(e -> e.kind() == workbook.story.Story.Kind.SENT
          && !e.failed() && id.equals(e.eventId())).count()).as("TODO 2: acknowledgements from the broker for the"
          + " event confirm returned (%s) at the moment it returned: confirm should wait for the broker to say"
          + " \"stored\" (publish(...).get()) before telling the user the order is confirmed; without it, a shop"
          + " that stops now loses an order it called confirmed", Envelope.shortId(id)).isEqualTo(1);
      assertThat(total(Topics.endOffsets(topic))).as("TODO 2: records kept on %s after confirm", topic).isEqualTo(2);
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: Publish and move on, when the broker says no")
  class Step2WhenTheBrokerSaysNo {
    @Test
    @DisplayName("confirm returns only with the broker's answer: it waits for a slow broker, and fails when the broker refuses the event, at once or later")
    void confirmWaitsForTheBrokersAnswer() throws Exception {
      // given: a topic that takes only records of 100 bytes or less: the broker refuses every event for good
      String small = Topics.create(Broker.bootstrapServers(), Topics.unique("orders-small"), 1,
          Map.of("max.message.bytes", "100"));
      CompletableFuture<Envelope> refused;
      try (Shop shop = new Shop(small)) {
        refused = confirming(shop, 5);
        Throwable failure = failureOf(refused);
        assertThat(failure).as("TODO 2: what confirm did when the broker refused the event for good (a record larger"
            + " than the topic takes): it returned the order as confirmed, and the order is in no log. confirm may"
            + " return only once the broker acknowledged the event: publish(...).get() throws the broker's refusal. A"
            + " confirm that flushes the producer (flush() returns on an error as well), or a producer with acks=0 (its"
            + " send completes before the broker answers), tells the user \"confirmed\" about an event that never was")
            .isNotNull();
      }
      // given: a broker that is slow to answer: the test holds the acknowledgement (a real producer on the real
      // broker whose record leaves only when the test says so)
      String orders = Topics.create(Broker.bootstrapServers(), Topics.unique("orders"), 1);
      var slow = new workbook.faults.FaultyProducer<String, String>(Clients.producerConfig("shop"));
      // slower than any timed wait shorter than the producer's delivery.timeout.ms: get(5, SECONDS) times out at once
      var held = slow.holdNextPastTimedWaits();
      try (Shop shop = new Shop(orders, slow)) {
        CompletableFuture<Envelope> confirm = confirming(shop, 6);
        Poll.until(() -> held.handed() || confirm.isDone(), WAIT, () -> "TODO 2: confirm sent nothing");
        // A confirm parked in get() waits for the answer, however long it takes: answer at once. One that waits with a
        // deadline of its own (get(timeout)) gets a broker that answers after a second.
        Thread.State state = awaitParked(confirm);
        if (state == Thread.State.TIMED_WAITING) {
          try {
            confirm.get(1, TimeUnit.SECONDS);
          } catch (java.util.concurrent.TimeoutException stillWaiting) {
            // as it should
          } catch (java.util.concurrent.ExecutionException failed) {
            // told below
          }
        }
        boolean early = confirm.isDone();
        String how = !early ? "waited" : failureOf(confirm) == null ? "returned the order as confirmed"
            : "failed: " + failureOf(confirm);
        Timeline.note("the broker answers: stored");
        held.answer();
        assertThat(early).as("TODO 2: while the broker had not answered yet (slower than a wait of its own, but within"
            + " the producer's delivery.timeout.ms), confirm %s. It should wait for the broker's answer as long as the"
            + " producer tries: publish(...).get(), not a wait of a fixed few milliseconds or seconds"
            + " (get(5, SECONDS)). A confirm that gives up and calls the order confirmed tells the user about an event"
            + " the broker may never store; one that fails calls an order failed that is stored a moment later", how)
            .isFalse();
        assertThat(failureOf(confirm)).as("TODO 2: what confirm did once the broker stored the event").isNull();
      }
      // given: the broker refuses the event after a while (the test's producer answers with an error): each failure a
      // send's future can end with, a retriable one among them (the producer retried it until delivery.timeout.ms)
      int n = 7;
      for (RuntimeException why : List.of(
          new org.apache.kafka.common.errors.NotEnoughReplicasException("not enough in-sync replicas"),
          new org.apache.kafka.common.errors.TimeoutException("Expiring 1 record(s): 30000 ms has passed since batch"
              + " creation (delivery.timeout.ms)"),
          new org.apache.kafka.common.errors.NetworkException("the connection to the broker was lost"))) {
        refusedLater(orders, n++, why);
      }
      // given: the user's request is cancelled (its thread interrupted) while the broker has not answered yet
      var cancelled = new workbook.faults.FaultyProducer<String, String>(Clients.producerConfig("shop"));
      var unanswered = cancelled.holdNext();
      try (Shop shop = new Shop(orders, cancelled)) {
        var outcome = new CompletableFuture<Envelope>();
        Thread request = new Thread(() -> {
          try {
            outcome.complete(shop.confirm(order(8), "checkout-8"));
          } catch (Throwable e) {
            outcome.completeExceptionally(e);
          }
        }, "checkout-8");
        request.start();
        Poll.until(() -> unanswered.handed() || outcome.isDone(), WAIT, () -> "TODO 2: confirm sent nothing");
        Poll.until(() -> outcome.isDone() || request.getState() == Thread.State.WAITING
            || request.getState() == Thread.State.TIMED_WAITING, WAIT, () -> "confirm neither waited nor returned");
        Timeline.note("the user's request is cancelled: its thread is interrupted while confirm waits for the broker");
        request.interrupt();
        // Until confirm is done, or it took the interrupt (its flag cleared) and waits on: a confirm that swallows the
        // interrupt to wait for the answer regardless. Then the broker answers "stored", so that such a confirm shows.
        boolean waitedOn;
        try {
          Poll.until(() -> outcome.isDone() || !request.isInterrupted() && (request.getState() == Thread.State.WAITING
              || request.getState() == Thread.State.TIMED_WAITING), WAIT, () -> "confirm neither failed nor waited on");
          waitedOn = !outcome.isDone();
        } finally {
          Timeline.note("the broker answers: stored");
          unanswered.answer();
        }
        Throwable failure;
        try {
          outcome.get(WAIT.toSeconds(), TimeUnit.SECONDS);
          failure = null;
        } catch (java.util.concurrent.ExecutionException e) {
          failure = e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
          failure = e;
        }
        assertThat(failure).as("TODO 2: what confirm did when its thread was interrupted (the user's request"
            + " cancelled) before the broker answered: %s. confirm returns only with the broker's acknowledgement, and"
            + " a cancelled request fails at once: let get()'s InterruptedException out (confirm throws Exception)"
            + " instead of catching it and going on to return the event, or to wait on for the answer (a cancelled"
            + " request whose thread is held until the broker answers, then told \"confirmed\")", waitedOn
            ? "it took the interrupt, waited on for the answer, and returned the order as confirmed once the broker"
              + " stored it" : "it returned the order as confirmed, with no answer from the broker").isNotNull();
      }
      // given: the broker refuses the event with each error Kafka calls retriable (its own list: a leader that moved,
      // a coordinator loading, a request timed out, ...): the producer has tried it again already, until
      // delivery.timeout.ms, so confirm fails with it and sends nothing again, whichever it is (one producer, a send each)
      var retriable = new workbook.faults.FaultyProducer<String, String>(Clients.producerConfig("shop"));
      long storedBefore = total(Topics.endOffsets(orders));
      List<String> sentAgain = new ArrayList<>();
      List<String> confirmed = new ArrayList<>();
      try (Shop shop = new Shop(orders, retriable)) {
        for (org.apache.kafka.common.protocol.Errors error : org.apache.kafka.common.protocol.Errors.values()) {
          if (!(error.exception() instanceof org.apache.kafka.common.errors.RetriableException)) continue;
          int handedBefore = retriable.handed.size();
          var refusal = retriable.holdNext();
          CompletableFuture<Envelope> confirm = confirming(shop, n);
          Poll.until(() -> refusal.handed() || confirm.isDone(), WAIT, () -> "TODO 2: confirm sent nothing");
          awaitParked(confirm);
          refusal.refuse((RuntimeException) error.exception());
          Throwable failure = failureOf(confirm);
          String what = error.exception().getClass().getSimpleName();
          if (retriable.handed.size() - handedBefore != 1) sentAgain.add(what + ": " + (retriable.handed.size() - handedBefore) + " sends");
          if (failure == null) confirmed.add(what);
        }
        retriable.flush();
      }
      assertThat(List.of(sentAgain, total(Topics.endOffsets(orders)) - storedBefore)).as("TODO 2: the confirms that"
          + " sent their event more than once when the broker refused it with an error Kafka calls retriable, and the"
          + " records stored for them (none was acknowledged): the producer retried each already (retries, until"
          + " delivery.timeout.ms), and a send again for one that \"may be transient\" (a leader that moved, a request"
          + " timed out) stores an event the user was told failed, or twice. One publish is one send(), whatever the"
          + " refusal").isEqualTo(List.of(List.of(), 0L));
      assertThat(confirmed).as("TODO 2: the refusals (errors Kafka calls retriable) after which confirm returned the"
          + " order as confirmed: confirm fails with the broker's refusal, whichever it is").isEmpty();
    }

    /** One confirm whose send the broker refuses with {@code why} after a while: it fails, and nothing is stored. */
    void refusedLater(String orders, int n, RuntimeException why) throws Exception {
      var refusing = new workbook.faults.FaultyProducer<String, String>(Clients.producerConfig("shop"));
      var refusal = refusing.holdNext();
      try (Shop shop = new Shop(orders, refusing)) {
        CompletableFuture<Envelope> confirm = confirming(shop, n);
        Poll.until(() -> refusal.handed() || confirm.isDone(), WAIT, () -> "TODO 2: confirm sent nothing");
        awaitParked(confirm);
        long before = total(Topics.endOffsets(orders));
        Timeline.note("the broker refuses the event: " + why);
        refusal.refuse(why);
        Throwable failure = failureOf(confirm);
        refusing.flush(); // whatever the shop sent after the refusal has its answer now
        assertThat(List.of(refusing.handed.size(), total(Topics.endOffsets(orders)) - before)).as("TODO 2: records the"
            + " shop handed to its producer, and records stored on the topic, for one confirm whose send failed with"
            + " %s (confirm %s). One publish is one send(): the producer retries what may be retried itself (retries,"
            + " until delivery.timeout.ms), and a send again (from a callback, or after a timeout that \"may be"
            + " transient\") stores an event every service reacts to a second time, or for an order the user was told"
            + " failed", why.getClass().getSimpleName(), failure == null ? "returned the order as confirmed"
            : "failed: " + failure).containsExactly(1, 0L);
        assertThat(failure).as("TODO 2: what confirm did when the broker refused the event (%s): it returned the"
            + " order as confirmed. confirm returns only once the broker acknowledged the event, and fails with its"
            + " refusal (publish(...).get() throws it)", why.getClass().getSimpleName()).isNotNull();
      }
    }

    @Test
    @DisplayName("the shop's producer waits for every in-sync copy of an event (acks=all), stores a retried send once (idempotence), and tries as long as given (delivery.timeout.ms 30 s, max.block.ms 10 s) before confirm may answer")
    void shopWaitsForEveryInSyncCopy() throws Exception {
      // On the one-node broker of the tests a partition has one copy, so acks=1 and acks=all answer alike (the broker
      // caps min.insync.replicas at the copies there are), it hardly ever loses an acknowledgement (where a retry without
      // idempotence stores a second copy) and it never takes seconds to answer: the test asks the settings the shop's
      // producer was made with, as Kafka hands them to the producer's interceptors (the timeline's; Kafka's default
      // where not set).
      int made = workbook.kafka.Timeline.producersMade().size();
      try (Shop shop = new Shop(Topics.unique("orders"))) {
        List<Map<String, Object>> settings = workbook.kafka.Timeline.producersMade();
        settings = settings.subList(Math.min(made, settings.size()), settings.size());
        assertThat(settings).as("TODO 2: the producers new Shop(topic) made with the timeline's interceptor, through"
            + " which the test reads what the shop's producer waits for (acks): make it as given, from"
            + " Clients.producerConfig(\"shop\") (Clients.producer(\"shop\")), and change only what the lab asks").hasSize(1);
        Map<String, Object> shops = settings.get(0);
        // Kafka's default since 3.0 is acks=all; "-1" is its other name.
        String acks = String.valueOf(shops.getOrDefault(ProducerConfig.ACKS_CONFIG, "all")).strip();
        assertThat(acks).as("TODO 2: the acks of the shop's producer: confirm waits for the broker to say \"stored\","
            + " and stored means every in-sync copy has the event (acks=all, as Clients.producerConfig sets it). With"
            + " acks=1 only the partition's leader has it, and a leader lost a moment later loses an order the user"
            + " was told is confirmed; with acks=0 the producer hears no answer at all").isIn("all", "-1");
        // The producer retries a send whose answer was lost (retries: Kafka's default, as many as fit in
        // delivery.timeout.ms): only an idempotent producer lets the broker drop the second copy.
        String idempotent = String.valueOf(shops.getOrDefault(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)).strip();
        String retries = String.valueOf(shops.getOrDefault(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE)).strip();
        assertThat("true".equalsIgnoreCase(idempotent) && Long.parseLong(retries) > 0).as("TODO 2: enable.idempotence"
            + " and retries of the shop's producer (expected true, and retries left to Kafka, as"
            + " Clients.producerConfig(\"shop\") makes it; were %s and %s): one publish is one record. The producer"
            + " retries a send whose acknowledgement was lost, and without idempotence the broker stores that event a"
            + " second time and every service reacts to the order twice; with retries=0 a refusal of a moment (a leader"
            + " moving) fails an order the broker would have stored. Leave both as given", idempotent, retries).isTrue();
        long given = Long.parseLong(String.valueOf(Clients.producerConfig("shop").get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)));
        long tries = Long.parseLong(String.valueOf(shops.getOrDefault(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000)).strip());
        assertThat(tries).as("TODO 2: delivery.timeout.ms of the shop's producer, how long it tries before confirm hears"
            + " \"failed\" (%d ms; Clients.producerConfig(\"shop\") gives it %d ms): confirm waits for a slow broker as"
            + " long as the producer tries, and a producer that gives up after a few seconds is the same deadline of"
            + " its own as get(5, SECONDS), moved into the producer: a leader election or a slow disk fails an order"
            + " the broker would have stored a moment later. Leave it as given", tries, given).isGreaterThanOrEqualTo(given);
        // send() itself may wait for the topic's metadata (a leader being elected, a broker restarting) or for room in
        // the producer's buffer, up to max.block.ms, and then fails the send: a deadline too, ahead of the tries.
        long blockGiven = Long.parseLong(String.valueOf(Clients.producerConfig("shop").get(ProducerConfig.MAX_BLOCK_MS_CONFIG)));
        long blocks = Long.parseLong(String.valueOf(shops.getOrDefault(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000)).strip());
        assertThat(blocks).as("TODO 2: max.block.ms of the shop's producer, how long send() waits for the topic's"
            + " metadata or for room in its buffer before the send fails (%d ms; Clients.producerConfig(\"shop\") gives"
            + " it %d ms): \"do not wait in publish\" means return send()'s future without waiting for it, not a send()"
            + " that may not block. A producer that gives up after a second while a leader is elected fails an order"
            + " the broker would have stored a moment later: a deadline of its own, as get(1, SECONDS) is. Leave it as"
            + " given", blocks, blockGiven).isGreaterThanOrEqualTo(blockGiven);
        // Each try waits up to request.timeout.ms for the broker's answer, then is tried again: a shorter wait than given
        // times out every try of a broker slow to answer (a loaded disk), and the order fails though the broker stored it.
        long requestGiven = Long.parseLong(String.valueOf(Clients.producerConfig("shop").get(
            ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG)));
        long request = Long.parseLong(String.valueOf(shops.getOrDefault(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000))
            .strip());
        assertThat(request).as("TODO 2: request.timeout.ms of the shop's producer, how long each try waits for the"
            + " broker's answer before it is given up and tried again (%d ms; Clients.producerConfig(\"shop\") gives it"
            + " %d ms): a broker slow to answer (a loaded disk, a few seconds) has every shorter try timed out, and confirm"
            + " fails after delivery.timeout.ms an order the broker stored: a deadline of its own, as get(1, SECONDS) is."
            + " Leave it as given", request, requestGiven).isGreaterThanOrEqualTo(requestGiven);
      // A count of retries is a deadline too: between tries the producer waits retry.backoff.ms, doubled each time up to
      // retry.backoff.max.ms (Kafka's defaults: 100 ms and 1 s). Against a broker that refuses at once (a leader moving),
      // the retries must not run out before delivery.timeout.ms does.
      long backoff = Long.parseLong(String.valueOf(shops.getOrDefault(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 100)).strip());
      long backoffMax = Long.parseLong(String.valueOf(shops.getOrDefault(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 1_000))
          .strip());
      // A try happens only before delivery.timeout.ms runs out: the last one comes, with Kafka's defaults, within the
      // longest wait between tries they allow (retry.backoff.max.ms, 1 s) of that deadline.
      long lastTry = 0;
      for (long n = 0, wait = Math.max(1, backoff); n < Long.parseLong(retries); n++) {
        long next = lastTry + Math.min(wait, Math.max(backoffMax, backoff));
        if (next >= tries) break;
        lastTry = next;
        wait = Math.min(wait * 2, Math.max(backoffMax, backoff));
      }
      long kafkasBackoffMax = 1_000;
      assertThat(lastTry).as("TODO 2: when the shop's producer tries for the last time a send the broker refuses at"
          + " once, in ms after the first try: retries=%s, waiting retry.backoff.ms=%d doubled up to"
          + " retry.backoff.max.ms=%d between tries. It should try as long as delivery.timeout.ms (%d ms) before confirm"
          + " hears \"failed\", its last try within Kafka's longest wait between tries (%d ms) of it: a count of"
          + " retries (retries=3, a tutorial's setting) gives up after a moment, and a wait between tries as long as the"
          + " deadline (retry.backoff.ms=30000, \"not to hammer the broker\") never tries again, as retries=0: a leader"
          + " election fails an order the broker would have stored. Leave retries and the backoff as given (Kafka's"
          + " defaults: as many tries as fit in delivery.timeout.ms)", retries, backoff, backoffMax, tries,
          kafkasBackoffMax).isGreaterThanOrEqualTo(tries - kafkasBackoffMax);
      }
    }

    @Test
    @DisplayName("confirm publishes the order as the first event of the user's action: one order.confirmed record from the shop, keyed by the order id, and returns it")
    void confirmPublishesTheFirstEventOfTheAction() throws Exception {
      String topic = Topics.fresh("orders", 3);
      Envelope returned;
      try (Shop shop = new Shop(topic)) {
        returned = shop.confirm(order(4), "checkout-41");
      }
      var checker = use(Clients.consumer(Topics.unique("checker"), "checker"));
      Clients.subscribe(checker, topic);
      ConsumerRecord<String, String> record = records(checker, 1, "TODO 2: confirm should publish the order's event"
          + " to the shop's topic (" + topic + ")").get(0);
      assertThat(total(Topics.endOffsets(topic))).as("TODO 2: records on the topic after one confirm").isEqualTo(1);
      Envelope stored = parse(record.value());
      assertThat(stored).as("TODO 2: the event on the topic, against the one confirm returned: confirm returns the"
          + " event it published").isEqualTo(returned);
      assertThat(record.key()).as("TODO 2: the key of confirm's record: the order id").isEqualTo("o-4");
      // Made the way step 1 makes the first event of an action (so that this checks the shop, not step 1).
      Envelope expected = Envelope.first("order.confirmed", "shop", "checkout-41", order(4));
      assertThat(List.of(String.valueOf(stored.eventType()), String.valueOf(stored.source()),
          String.valueOf(stored.correlationId()), String.valueOf(stored.causationId())))
          .as("TODO 2: the type, source, correlation and cause of the event confirm published for the user action"
              + " checkout-41 (order o-4). The order's event is the first event of the user's action:"
              + " Envelope.first(\"order.confirmed\", \"shop\", actionId, order), so that one search for the action"
              + " finds everything it caused; the order id is in its data and its key, not its correlation")
          .containsExactly(String.valueOf(expected.eventType()), String.valueOf(expected.source()),
              String.valueOf(expected.correlationId()), String.valueOf(expected.causationId()));
      assertThat(stored.data()).as("TODO 2: the data of the event confirm published: the order").isEqualTo(expected.data());
      // And the key decides the partition on confirm's path too: the shop's own producer (new Shop(topic)) leaves the
      // partition to the key, on the demo's count (three) and another (five). A partitioner set on it to spread the
      // events evenly (round robin, partitioner.ignore.keys) scatters an order's events, whatever key publish gives them.
      for (int partitions : List.of(3, 5)) confirmedWhereTheKeyHashes(partitions);
    }

    /** Two confirms of each of 12 orders through new Shop(topic): each lands where its order id hashes (as acknowledged). */
    void confirmedWhereTheKeyHashes(int partitions) throws Exception {
      String confirmedOn = Topics.fresh("orders", partitions);
      List<String> scattered = new ArrayList<>();
      try (Shop shop = new Shop(confirmedOn)) {
        for (int round = 0; round < 2; round++) {
          for (int n = 1; n <= 12; n++) {
            String id = shop.confirm(order(n), "checkout-" + n + "-" + round).eventId();
            int expected = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                ("o-" + n).getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
            List<Integer> stored = workbook.story.Story.entries().stream().filter(e -> e.kind()
                == workbook.story.Story.Kind.SENT && !e.failed() && id.equals(e.eventId()) && confirmedOn.equals(e.topic()))
                .map(workbook.story.Story.Entry::partition).toList();
            if (!stored.equals(List.of(expected))) scattered.add("o-" + n + " on " + stored + ", its key's p" + expected);
          }
        }
      }
      assertThat(scattered).as("TODO 2: events confirm published through the shop's own producer (new Shop(topic)) on a"
          + " topic of %d partitions, that landed elsewhere than the partition Kafka's partitioner picks for their order"
          + " id (two confirms of each of 12 orders): the key decides the partition on every path, so leave the shop's"
          + " producer as Clients.producer(\"shop\") makes it. A partitioner that spreads events evenly (round robin,"
          + " partitioner.ignore.keys=true) puts an order's confirm and its cancel on two partitions, read in no fixed"
          + " order", partitions).isEmpty();
    }

    private final java.util.concurrent.atomic.AtomicReference<Thread> confirmer = new java.util.concurrent.atomic.AtomicReference<>();

    /** Waits (bounded) until the confirming thread is parked, or done; says how it waits. */
    Thread.State awaitParked(CompletableFuture<Envelope> confirm) {
      Poll.until(() -> confirm.isDone() || confirmer.get() != null && confirmer.get().getState() != Thread.State.RUNNABLE,
          WAIT, () -> "confirm neither waited nor returned");
      return confirm.isDone() ? Thread.State.TERMINATED : confirmer.get().getState();
    }

    CompletableFuture<Envelope> confirming(Shop shop, int n) {
      confirmer.set(null);
      return CompletableFuture.supplyAsync(() -> {
        confirmer.set(Thread.currentThread());
        try {
          return shop.confirm(order(n), "checkout-" + n);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }, workbook.test.Background.OWN_THREAD);
    }

    /** What a confirm failed with, or null if it returned (within WAIT). */
    Throwable failureOf(CompletableFuture<Envelope> confirm) {
      try {
        confirm.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return null;
      } catch (java.util.concurrent.ExecutionException e) {
        return e.getCause();
      } catch (Exception e) {
        return e;
      }
    }

  }

  @Nested
  @Tag("step3")
  @DisplayName("Step 3: One group per service")
  class Step3 {
    @Test
    @Order(1) // pure and quick: a mistake in the group is told before the tests that start services
    @DisplayName("each service reads in a group of its own, and finds the same group after a restart")
    void ownGroups() throws Exception {
      List<String> services = new ArrayList<>(ROLES);
      services.add("inventory-v2");
      List<String> groups = services.stream().map(Service::groupFor).toList();
      assertThat(groups).as("TODO 3: the groups of %s: services that share a group split the events between them,"
          + " so each would see only some; a new version that rebuilds its own state (inventory-v2) is a new reader"
          + " too, and would otherwise take over the old one's offsets instead of replaying", services)
          .doesNotHaveDuplicates();
      assertThat(Service.groupFor("inventory")).as("TODO 3: inventory's group, asked twice: a restarted service must"
          + " rejoin its group to resume from its committed offsets").isEqualTo(Service.groupFor("inventory"));
      // Any two service names are two services: names that differ only in case, share a long beginning, or are
      // long (generated, seed printed) each get a group of their own.
      long seed = new java.util.Random().nextLong();
      List<String> names = new ArrayList<>(Topics.distinctNames(new java.util.Random(seed), "inventory"));
      // and names that differ only in spaces around them: a name is taken as it is, not stripped
      for (String spaced : List.of("inventory", " inventory", "inventory ", " inventory ")) {
        if (!names.contains(spaced)) names.add(spaced);
      }
      // and names that differ only in their Unicode form (é as one letter or as e and an accent, the ligature ﬁ, full-width
      // digits): Kafka compares group ids as they are, so a name normalized (NFC, NFKC) makes two services one group
      names.addAll(List.of("inventory-caf\u00e9", "inventory-cafe\u0301", "inventory-\ufb01", "inventory-fi",
          "inventory-\uff12", "inventory-2"));
      // and names far longer than those, two by two sharing all but their last letter: Kafka sets group ids no length
      // limit of their own (a request carries one of up to 32,767 bytes), so a group cut to any length (249, as topic
      // names are, or another) makes two such services one group. Beginnings from just past 249 up to 32,000 letters.
      java.util.Random longer = new java.util.Random(seed);
      for (int length : List.of(250, 256, 1_025, 4_097, 32_000)) {
        String beginning = "inventory-" + longer.ints(length, 'a', 'z' + 1).mapToObj(c -> String.valueOf((char) c))
            .collect(Collectors.joining());
        names.add(beginning + "a");
        names.add(beginning + "b");
      }
      java.util.Map<String, List<String>> byGroup = names.stream()
          .collect(Collectors.groupingBy(Service::groupFor, java.util.LinkedHashMap::new, Collectors.toList()));
      assertThat(byGroup.values().stream().filter(shared -> shared.size() > 1).map(shared -> shared.stream()
          .map(FanOutTest::shown).toList()).toList()).as("TODO 3: these services"
          + " share a group (generated names, seed %d): each service is a group of its own, named after the whole name"
          + " as it is (Kafka's group ids are case-sensitive, may be long and may hold spaces): no lower-casing, cutting,"
          + " stripping, Unicode normalizing (NFC, NFKC: café as é or as e and an accent) or other tidying that makes two services one group and splits their events", seed).isEmpty();
      // The group is named after the service: its whole name is in it (a hash or a number made from the name is not,
      // and two names can hash alike).
      assertThat(names.stream().filter(n -> !Service.groupFor(n).contains(n)).map(n -> shown(n) + " -> "
          + shown(Service.groupFor(n))).toList()).as("TODO 3: services whose group does not hold their name (generated names, seed %d): name each"
          + " service's group after the service, its whole name as it is, so that two services are two groups and an"
          + " operator reading the group list sees whose it is. A group made from a hash of the name (hashCode(), a"
          + " digest) is one group for two names that hash alike: inventory-Aa and inventory-BB share one", seed)
          .isEmpty();
      // A restart is usually a new process (a deploy, a crash): the group may depend on the service alone.
      assertThat(groupInANewProcess("inventory")).as("TODO 3: inventory's group as a new process (a restarted"
          + " service, on another machine, as another user, in the time zones 26 hours apart of two machines, where"
          + " today is two dates, and in a language that writes its digits otherwise, Persian) names it, against this"
          + " process's %s, asked after the groups of other services (in another order than here): a group named"
          + " after anything but the service (a process id, a start time, today's date, a random id made once, a number"
          + " counted in the order services are asked for, the host or the user), or with a number"
          + " formatted in the machine's language (String.format(\"%%d\"): v1 is v\u06f1 in Persian), is"
          + " a new group at every restart or on every machine, with no committed offsets, and the service replays"
          + " the whole log; two instances on two machines would each get every event", Service.groupFor("inventory"))
          .containsOnly(Service.groupFor("inventory"));
      // Another machine cannot be started from a test: the group may name nothing of this one either.
      String host = java.net.InetAddress.getLocalHost().getHostName();
      List<String> machine = new ArrayList<>(List.of(host, host.split("\\.")[0],
          String.valueOf(ProcessHandle.current().pid()), System.getProperty("user.name")));
      // and its name as the resolver gives it (the canonical host name: a full domain name, or localhost where the
      // host's address maps back to it), another name of the same machine
      String canonical = java.net.InetAddress.getLocalHost().getCanonicalHostName();
      machine.addAll(List.of(canonical, canonical.split("\\.")[0]));
      machine.addAll(addresses()); // and its addresses, whichever of its networks
      // and what it runs: its Java (a JDK upgrade, a machine on another Java), its system and its architecture (a fleet of
      // amd64 and aarch64 machines)
      machine.addAll(runtime());
      for (String service : services) {
        assertThat(Service.groupFor(service)).as("TODO 3: %s's group, which names something of the machine, what it"
            + " runs (its Java, system, architecture) or the process it runs on (%s): two instances of one service on two machines must be one group, sharing the"
            + " events, and a restart anywhere must find it again. Name the group after the service alone", service,
            machine).satisfies(g -> assertThat(machine.stream().filter(m -> m.length() >= 2 && g.contains(m)
                && !service.contains(m)).toList()).isEmpty());
      }
      // Nor the date by a coarser clock than the day the time zones above tell apart: a group versioned by the month or
      // the year (inventory-2026-12, inventory-2026) is a new group with no committed offsets on the first of the next.
      List<String> date = today();
      for (String service : services) {
        // what the group holds around the service's name, with no separators (inventory-26-12 shows 2612 too)
        String around = Service.groupFor(service).replace(service, "").toLowerCase(java.util.Locale.ROOT)
            .replaceAll("[^\\p{L}\\p{N}]", "");
        assertThat(date.stream().filter(around::contains).toList()).as("TODO 3: %s's group %s names the date it was"
            + " made (it holds these of today's %s): a group named after the year or the month, not only after today,"
            + " is a new group at the turn of each, with no committed offsets, and the service replays the whole log"
            + " then. Name the group after the service alone", service, Service.groupFor(service), date).isEmpty();
      }
    }

    @Test
    @Order(2) // pure and quick: the reactions alone, no broker
    @DisplayName("each reaction reacts to order.confirmed alone: every other type is ignored, however close its name")
    void reactionsKnowOrderConfirmedAlone() {
      // Other types with the order as data (the topic may carry more tomorrow, from other services too): the names
      // close to order.confirmed (another case, a version, a prefix, spaces, another service's confirmation) and
      // generated ones (seed printed). Each reaction leaves its state as it was, then reacts to one order.confirmed.
      long seed = new java.util.Random().nextLong();
      List<String> types = new ArrayList<>(Topics.distinctNames(new java.util.Random(seed), "order.confirmed"));
      types.addAll(List.of("payment.confirmed", "shipment.confirmed", "order.reconfirmed", "order.unconfirmed",
          "order.confirmed.failed", "order.confirmed.v2", "confirmed", "order", "order.", " order.confirmed",
          "order.confirmed ", "ORDER.CONFIRMED", "order.cancelled", "order.shipped"));
      types.removeIf(Reactions.CONFIRMED::equals);
      var inventory = new Reactions.Inventory();
      var notification = new Reactions.Notification();
      var analytics = new Reactions.Analytics();
      var shipping = new Reactions.Shipping();
      java.util.function.Supplier<List<Object>> state = () -> List.of(inventory.stock(), notification.sent().size(),
          analytics.conversions(), analytics.revenueCents(), shipping.requested().size());
      List<Object> untouched = state.get();
      List<String> reacted = new ArrayList<>();
      Envelope confirmed = envelope(7);
      for (String type : types) {
        Envelope other = new Envelope(UUID.randomUUID().toString(), type, confirmed.correlationId(),
            confirmed.eventId(), Instant.now(), "shop", confirmed.data());
        for (Service.Reaction r : List.of(inventory, notification, analytics, shipping)) {
          List<Object> before = state.get();
          try {
            r.on(other);
          } catch (RuntimeException e) {
            // a reaction may throw (logged and skipped by the service): what counts is whether it changed its state
          }
          if (!state.get().equals(before)) reacted.add(r.getClass().getSimpleName() + " reacted to \"" + type + "\"");
        }
      }
      for (Service.Reaction r : List.of(inventory, notification, analytics, shipping)) r.on(confirmed);
      Map<String, Integer> stock = new java.util.TreeMap<>(Map.of("mug", 100, "tee", 50, "cap", 30));
      for (Shop.Line line : order(7).lines()) stock.merge(line.sku(), -line.quantity(), Integer::sum);
      assertThat(reacted.stream().limit(6).toList()).as("TODO 3: the reactions that reacted to an event of another type"
          + " than order.confirmed, with the order as data (%d such reactions, the first shown; types generated, seed"
          + " %d): each reaction reacts to order.confirmed alone, its type as it is (Reactions.CONFIRMED.equals(type), as"
          + " given), and ignores every other: a check tidied to \"ends with .confirmed\", \"contains confirmed\" or"
          + " \"starts with order.\", or no check, counts a payment.confirmed as a second conversion or takes a"
          + " cancelled order out of stock", reacted.size(), seed).isEmpty();
      assertThat(state.get()).as("TODO 3: mugs left, emails sent, conversions, revenue and shipments requested after the"
          + " other types (left as they were, %s) and then one order.confirmed: each reaction reacts to it once",
          untouched).isEqualTo(List.of(stock, 1, 1, (long) order(7).totalCents(), 1));
    }

    @Test
    @DisplayName("inventory, notification, analytics and shipping each get every event once, and react in their own way")
    void everyServiceGetsEveryEvent() throws Exception {
      String topic = Topics.fresh("orders", 3);
      var inventory = new Reactions.Inventory();
      var notification = new Reactions.Notification();
      var analytics = new Reactions.Analytics();
      var shipping = new Reactions.Shipping();
      List<Counted> reactions = Stream.of(inventory, notification, analytics, shipping).map(Counted::new).toList();
      List<Service> services = IntStream.range(0, 4)
          .mapToObj(i -> start(Topics.unique(ROLES.get(i)), topic, reactions.get(i))).toList();
      List<Envelope> events = publish(topic, 1, 12);
      // and events of types no reaction knows (the topic may carry more tomorrow): orders 1 and 2 cancelled, then
      // shipped, each with the order as data. Every service gets them too, and each reaction ignores them.
      List<Envelope> others = new ArrayList<>();
      KafkaProducer<String, String> producer = use(Clients.producer("shop"));
      for (String type : List.of("order.cancelled", "order.shipped")) {
        for (Envelope e : events.subList(0, 2)) {
          Envelope other = new Envelope(UUID.randomUUID().toString(), type, e.correlationId(), e.eventId(),
              Instant.now(), "shop", e.data());
          others.add(other);
          producer.send(new ProducerRecord<>(topic, e.data(Shop.Order.class).orderId(), other.toJson()));
        }
      }
      producer.flush();
      awaitEveryGroup(services, events.size() + others.size());
      List<String> ids = java.util.stream.Stream.concat(events.stream(), others.stream()).map(Envelope::eventId).toList();
      for (int i = 0; i < services.size(); i++) reactions.get(i).awaitReturned(services.get(i));
      int mugs = 100 - events.stream().flatMap(e -> e.data(Shop.Order.class).lines().stream())
          .filter(l -> l.sku().equals("mug")).mapToInt(Shop.Line::quantity).sum();
      assertThat(List.of(inventory.stock("mug"), notification.sent().size(), analytics.conversions(),
          shipping.requested().size())).as("TODO 3: mugs left, emails sent, conversions counted and shipments requested"
          + " after %d order.confirmed events and %d events of other types (order.cancelled, order.shipped, with the"
          + " order as data): each reaction reacts to order.confirmed alone and ignores the types it does not know (a"
          + " reaction tidied of its type check takes a cancelled order out of stock a second time)", events.size(),
          others.size()).isEqualTo(List.of(mugs, events.size(), events.size(), events.size()));
      for (Service s : services) {
        assertThat(count(s.seen(), ids)).as("TODO 3: the events %s was given, in group %s: every service needs every"
            + " event exactly once, but services in one group share them", s.name(), Service.groupFor(s.name()))
            .isEqualTo(count(ids, ids));
      }
      assertReactions(events, inventory, notification, analytics, shipping);
      for (Service s : services) s.close();
      for (Service s : services) {
        assertThat(Topics.lag(Service.groupFor(s.name()), topic)).as("TODO 3: the lag of %s's group %s once it read"
            + " every event and stopped: each group commits its own offsets, and ends at the end of the log", s.name(),
            Service.groupFor(s.name())).isZero();
      }
    }

    @Test
    @DisplayName("two instances of one service are one group: they share the events, each read by one of them")
    void instancesOfOneServiceShare() throws Exception {
      String topic = Topics.fresh("orders", 3);
      String name = Topics.unique("analytics");
      var analytics = new Reactions.Analytics();
      var counted = new Counted(analytics);
      Service one = start(name, topic, counted);
      Service two = start(name, topic, counted);
      // The first instance learns at its next poll that the second took partitions from it.
      Poll.until(() -> one.position().size() + two.position().size() == 3, WAIT, () -> "TODO 3: partitions held by"
          + " the two instances of " + name + ": " + at(one.position()) + " and " + at(two.position()) + " (of 3)");
      List<Envelope> events = publish(topic, 1, 12);
      List<String> ids = events.stream().map(Envelope::eventId).toList();
      Poll.until(() -> one.seen().size() + two.seen().size() >= events.size(), WAIT, () -> "TODO 3: events read by"
          + " the two instances of " + name + ": " + one.seen().size() + " and " + two.seen().size() + " (of 12)");
      counted.awaitReturned(one, two); // before the conversions are read
      List<String> both = new ArrayList<>(one.seen());
      both.addAll(two.seen());
      assertThat(count(both, ids)).as("TODO 3: the events the two instances of %s read between them (%d and %d): two"
          + " instances of one service are members of one group, which gives each event to one member",
          name, one.seen().size(), two.seen().size()).isEqualTo(count(ids, ids));
      assertThat(List.of(one.seen().size(), two.seen().size())).as("TODO 3: events read by each instance: members of"
          + " one group share the partitions, so both do part of the work").allMatch(n -> n > 0);
      assertThat(analytics.conversions()).as("TODO 3: analytics: conversions counted by the two instances together:"
          + " members of one group share the events, each read by one of them; two instances in groups of their own (a"
          + " group made anew at every start) both count every order")
          .isEqualTo(events.size());
    }

    private void assertReactions(List<Envelope> events, Reactions.Inventory inventory,
        Reactions.Notification notification, Reactions.Analytics analytics, Reactions.Shipping shipping) {
      List<Shop.Order> orders = events.stream().map(e -> e.data(Shop.Order.class)).toList();
      assertThat(inventory.stock("mug")).as("inventory: mugs left from 100 after the orders")
          .isEqualTo(100 - orders.stream().flatMap(o -> o.lines().stream())
              .filter(l -> l.sku().equals("mug")).mapToInt(Shop.Line::quantity).sum());
      assertThat(notification.sent()).as("notification: emails sent").hasSize(events.size());
      assertThat(analytics.revenueCents()).as("analytics: revenue in cents")
          .isEqualTo(orders.stream().mapToLong(Shop.Order::totalCents).sum());
      assertThat(shipping.requested()).as("shipping: shipments requested (made with Envelope.causes, TODO 1)")
          .hasSize(events.size())
          .allSatisfy(s -> assertThat(s.causationId()).as("a shipment's cause").isIn(events.stream().map(Envelope::eventId).toList()));
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: Replay from the start")
  class Step4 {
    @Test
    @DisplayName("a group that never committed starts at the oldest event the broker keeps")
    void newGroupStartsAtTheOldestEvent() {
      Object reset = Service.config("inventory").get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG);
      assertThat(reset).as("TODO 4: auto.offset.reset in the consumer settings: \"earliest\" lets a new group start at"
          + " the oldest event kept; with \"latest\" (Kafka's default) it starts at the end of the log and never sees"
          + " the events published before it existed; the client of today knows earliest, latest, none and"
          + " by_duration (\"smallest\" is Kafka 0.8's name, and refused)").isEqualTo("earliest");
    }

    @Test
    @Order(1) // pure and quick: told before the tests that start services
    @DisplayName("a reaction may take its time: the service stays in its group while it reacts, as long as Kafka gives a poll loop (max.poll.interval.ms as given)")
    void slowReactionKeepsTheServiceInItsGroup() {
      // A reaction that waits minutes cannot be waited for here: the test reads the settings as Kafka's consumer reads
      // them from Service.config (Kafka's defaults where not set), against those Clients.consumerConfig gives.
      var given = new ConsumerConfig(Clients.consumerConfig("inventory", "inventory"));
      ConsumerConfig service;
      try {
        service = new ConsumerConfig(Service.config("inventory"));
      } catch (org.apache.kafka.common.config.ConfigException e) {
        throw new AssertionError("TODO 4: Kafka refused the service's consumer settings (Service.config): "
            + e.getMessage() + " auto.offset.reset takes earliest (the oldest event the broker keeps), latest or none", e);
      }
      int limit = service.getInt(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
      // As given, neither shorter nor longer: it is also the only limit that finds a service whose poll loop is stuck.
      assertThat(limit).as("TODO 4: max.poll.interval.ms of the service's consumer, how long a reaction may take"
          + " before the group throws the service out (%d ms; Kafka gives a poll loop %d ms): a service is thrown out of"
          + " its group in the middle of a reaction that takes longer, its commit refused, and whoever takes the"
          + " partition over handles the event again. A reaction that takes a few seconds (a warehouse slow to"
          + " answer) is an ordinary one. And it is the only limit that finds a service whose poll loop is stuck (a"
          + " reaction that hangs): the heartbeats that keep its session run on the consumer's own thread and go on,"
          + " so a limit raised to days (Integer.MAX_VALUE, \"a reaction may take its time\") leaves the stuck"
          + " service's partitions unread, its lag growing, for days. Leave it as given", limit,
          given.getInt(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG))
          .isEqualTo(given.getInt(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG));
      // A slow reaction is max.poll.interval.ms's business; the session is how soon the group notices a service that
      // died (kill -9, a lost machine) and gives its partitions to another instance: as given, or Kafka's own default.
      int session = service.getInt(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      int sessionGiven = given.getInt(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      int kafkasSession = new ConsumerConfig(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class,
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class))
          .getInt(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      assertThat(session).as("TODO 4: session.timeout.ms of the service's consumer (%d ms; Clients.consumerConfig gives"
          + " %d ms, Kafka's default is %d ms): how long the group waits for a heartbeat before it takes a dead"
          + " instance's partitions (kill -9, a lost machine) and gives them to another. A slow reaction does not stop"
          + " the heartbeats (they run on the consumer's own thread): it is max.poll.interval.ms that gives it time. A"
          + " session of minutes leaves the partitions of a crashed instance unread for minutes: leave it as given",
          session, sessionGiven, kafkasSession).isLessThanOrEqualTo(Math.max(sessionGiven, kafkasSession));
      // and the consumer's own waits, as given (Kafka's defaults where Clients.consumerConfig sets none): each request, and
      // each of its blocking calls, may take as long as given, no less; between retries and between two auto-commits it
      // waits as long as given, no more. The tests' broker answers at once, so only the settings can tell.
      List<String> waits = new ArrayList<>();
      for (String name : List.of(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG)) {
        long mine = ((Number) service.values().get(name)).longValue(), as = ((Number) given.values().get(name)).longValue();
        if (mine < as) waits.add(name + "=" + mine + " (given " + as + ", no less)");
      }
      List<String> atMost = new ArrayList<>(List.of(ConsumerConfig.RETRY_BACKOFF_MS_CONFIG,
          ConsumerConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
      if (service.getBoolean(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG)) atMost.add(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG);
      for (String name : atMost) {
        long mine = ((Number) service.values().get(name)).longValue(), as = ((Number) given.values().get(name)).longValue();
        if (mine > as) waits.add(name + "=" + mine + " (given " + as + ", no more)");
      }
      assertThat(waits).as("TODO 4: the waits of the service's consumer (Service.config) changed from those"
          + " Clients.consumerConfig gives (Kafka's defaults): %s. close() commits what was handled within the consumer's"
          + " own 30 s, each try waiting request.timeout.ms for the coordinator's answer: a try cut to a few seconds (\"to"
          + " notice a dead broker fast\") times out every time against a loaded coordinator, and the events handled are"
          + " read again after a restart; default.api.timeout.ms bounds the poll loop's own calls (position, committed),"
          + " and a shorter one ends the loop on a TimeoutException while the broker is slow for a moment; half a minute"
          + " between retries (retry.backoff.ms, \"not to hammer the broker\") leaves no second try within close()'s 30 s;"
          + " and auto-commits minutes apart (auto.commit.interval.ms, \"close() commits anyway\") leave the group's"
          + " committed offsets, and its lag, minutes behind what the service handled: a service that dies handles"
          + " minutes of events again. Leave them as given", waits).isEmpty();
    }

    @Test
    @DisplayName("a service added later replays every event and rebuilds the same stock; the producer sends nothing new")
    void lateServiceRebuildsTheSameState() throws Exception {
      String topic = Topics.fresh("orders", 3);
      var inventory = new Reactions.Inventory();
      var countedInventory = new Counted(inventory);
      Service original = start(Topics.unique("inventory"), topic, countedInventory);
      List<Envelope> events = publish(topic, 1, 12);
      Poll.until(() -> original.seen().size() >= events.size(), WAIT,
          () -> "inventory read " + original.seen().size() + " of " + events.size() + " events");
      countedInventory.awaitReturned(original);
      Map<Integer, Long> end = Topics.endOffsets(topic);
      Timeline.note("inventory-v2 starts now, after all " + events.size() + " events were published");
      var rebuilt = new Reactions.Inventory();
      var countedRebuilt = new Counted(rebuilt);
      Service late = start(Topics.unique("inventory-v2"), topic, countedRebuilt);
      Poll.until(() -> late.seen().size() >= events.size() || reached(late.position(), end), WAIT,
          () -> "TODO 4: inventory-v2 read " + late.seen().size() + " events and stands at " + at(late.position()));
      countedRebuilt.awaitReturned(late);
      List<String> ids = events.stream().map(Envelope::eventId).toList();
      assertThat(count(late.seen(), ids)).as("TODO 4: the events inventory-v2 read after joining late (it stands at"
          + " %s): a new group should start at the oldest event kept, not at the end", at(late.position()))
          .isEqualTo(count(ids, ids));
      assertThat(rebuilt.stock()).as("the stock inventory-v2 rebuilt from the log, against the original's")
          .isEqualTo(inventory.stock());
      assertThat(Topics.endOffsets(topic)).as("the topic's end offsets after a new service joined: adding a"
          + " consumer asks nothing of the producer").isEqualTo(end);
    }

    @Test
    @DisplayName("while inventory is down its stock is stale and its lag grows; back up, it resumes where it stopped")
    void downThenBack() throws Exception {
      String topic = Topics.fresh("orders", 3);
      String name = Topics.unique("inventory");
      var inventory = new Reactions.Inventory();
      Service first = start(name, topic, inventory);
      publish(topic, 1, 3);
      Poll.until(() -> first.seen().size() >= 3, WAIT, () -> "inventory read " + first.seen().size() + " of 3 events");
      first.close(); // returns once the event in hand is handled (TODO 4): from here on nothing changes the stock
      // and once it has left its group: another instance, or the service restarted, takes the partitions over at once
      assertThat(membersOf(Service.groupFor(name))).as("TODO 4: the members of inventory's group %s once close()"
          + " returned: a stopped service leaves its group (closing its consumer tells the coordinator), so that the"
          + " group rebalances and another instance reads its partitions at once. A static member (group.instance.id,"
          + " set in Service.config so that a restart gets its partitions back) stays a member, its partitions read by"
          + " nobody until its session times out; and as every instance of the service has the same id, a second"
          + " instance fences the first instead of sharing the events with it", Service.groupFor(name)).isEmpty();
      int before = inventory.stock("mug");
      Timeline.note("inventory is down");
      Envelope missed = publish(topic, 4, 1).get(0);
      int mugs = missed.data(Shop.Order.class).lines().get(0).quantity();
      int stale = inventory.stock("mug");
      Timeline.note("right after publishing, inventory says mug = " + stale + " (stale: the event waits in the broker)");
      assertThat(stale).as("mugs according to inventory while it is down").isEqualTo(before);
      assertThat(Topics.lag(Service.groupFor(name), topic)).as("TODO 4: inventory's lag while it is down: the events"
          + " published since it stopped. A group that never committed lags by all of them: does the service commit"
          + " the offsets of what it handled (enable.auto.commit, or commitSync), and rejoin the same group (TODO 3)?")
          .isEqualTo(1);
      Service again = start(name, topic, inventory);
      Timeline.note("inventory is back");
      long back = System.nanoTime();
      Poll.until(() -> inventory.stock("mug") != before, WAIT, () -> "inventory still says mug = " + before);
      Timeline.note((System.nanoTime() - back) / 1_000_000 + " ms later inventory says mug = " + inventory.stock("mug"));
      Map<Integer, Long> end = Topics.endOffsets(topic);
      Poll.until(() -> reached(again.position(), end), WAIT, () -> "inventory stands at " + at(again.position()));
      assertThat(count(again.seen(), List.of(missed.eventId()))).as("TODO 4: the events inventory read after its"
          + " restart: a group with committed offsets should resume where it stopped, not replay the log")
          .isEqualTo("1 of 1 events, no duplicates");
      assertThat(inventory.stock("mug")).as("mugs once inventory caught up").isEqualTo(before - mugs);
    }

    @Test @WaitsLong
    @DisplayName("a service stopped in the middle of an event loses nothing it read: it finishes, or reads it again after its restart")
    void stoppedWhileReacting() throws Exception {
      String topic = Topics.fresh("orders", 1);
      String name = Topics.unique("inventory");
      var inventory = new Reactions.Inventory();
      var gate = new java.util.concurrent.CountDownLatch(1);
      var reacting = new java.util.concurrent.CountDownLatch(1);
      var blockedOn = new java.util.concurrent.atomic.AtomicReference<Thread>();
      var alive = new java.util.concurrent.atomic.AtomicBoolean(true);
      // o-1, o-2 and o-3 are in the log before inventory starts: its first poll takes all three at once.
      List<Envelope> events = publish(topic, 1, 3);
      // Its group coordinator answers as a loaded broker's may: only just within the consumer's own 30 s (COORDINATOR_ANSWERS)
      Service.newConsumer = config -> new workbook.faults.SlowCoordinatorAnswers<>(config, COORDINATOR_ANSWERS);
      // The first run reacts as inventory does, but stalls on the second event until the test lets it go.
      Service first = start(name, topic, event -> {
        if (event.data(Shop.Order.class).orderId().equals("o-2")) {
          blockedOn.set(Thread.currentThread());
          reacting.countDown();
          try {
            gate.await(WAIT.toSeconds(), TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        if (alive.get()) inventory.on(event); // a stopped process reacts no more
      });
      assertThat(reacting.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("inventory started reacting to the second event")
          .isTrue();
      // o-1, o-2 and o-3 are at offsets 0, 1 and 2 of the one partition; inventory is busy with o-2.
      long committed = 3 - Topics.lag(Service.groupFor(name), topic);
      if (committed > 1) gate.countDown(); // the test fails: let the reaction finish, so that closing does not wait
      assertThat(committed).as("TODO 4: the offset inventory's group has committed"
          + " while inventory is still reacting to o-2 (offset 1): a committed offset says \"handled up to here\", so"
          + " it may not pass an event whose reaction has not finished (at most 1). Committing a poll before reacting"
          + " to it (commitSync() right after poll, or a reaction handed to another thread) loses the rest of the"
          + " batch if the service dies now").isLessThanOrEqualTo(1);
      Timeline.note("inventory is stopped while it reacts to the second event");
      Thread stopping = new Thread(first::close, "stopping");
      stopping.start();
      // Reacting on another thread than its polling thread, close() returns first, and the stopped process never
      // completes the reaction; unless the polling thread waits for that thread (each event handed over and joined at
      // once: as right as reacting on the polling thread itself), and then close() waits for the reaction. Bounded: a
      // close() still waiting after 5 s waits for the reaction (on localhost a consumer closes in well under that).
      if (!blockedOn.get().getName().equals(name)) {
        stopping.join(5_000);
        if (!stopping.isAlive()) {
          alive.set(false);
          Timeline.note("inventory has stopped; the reaction to the second event was still running elsewhere");
        }
      }
      // On its polling thread, close() waits for the reaction (thread.join as given), or returns too early: checked below.
      boolean waited = blockedOn.get().getName().equals(name) || stopping.isAlive();
      if (waited) {
        // close() waits for the reaction, on whichever thread it runs: inventory cannot have finished o-2 before the
        // test lets it go. Held until close() returns, bounded by half a second (a reaction that takes that long is an
        // ordinary one: a warehouse slow to answer), so that a close() that waits only a moment shows. (If a loaded
        // machine delays a join(100)'s return past that, the commit check below still fails it.)
        Poll.until(() -> stopping.getState() != Thread.State.RUNNABLE && stopping.getState() != Thread.State.NEW,
            WAIT, () -> "close() neither waited nor returned");
        stopping.join(500);
        boolean returnedFirst = !stopping.isAlive();
        gate.countDown();
        stopping.join(WAIT.toMillis());
        assertThat(returnedFirst).as("TODO 4: close() returned while inventory was still in the middle of o-2 (its"
            + " reaction held half a second): close() should wait for the service's thread (thread.join(10_000) as given)"
            + " until it has finished the event in hand and closed its consumer, which commits what it handled and"
            + " waits for the broker's answer. A close() that waits only a moment (join(100)) returns with the event"
            + " half done and nothing committed, and a restart or a new instance handles it again").isFalse();
      }
      gate.countDown();
      stopping.join(WAIT.toMillis());
      if (waited) {
        // Stopped while its poll thread was in a reaction (or waited for one), it polled no more: the commit of o-2
        // and o-3 is close()'s.
        assertThat(acknowledgedCommits(Service.groupFor(name), topic).getOrDefault(0, 0L)).as("TODO 4: the offset"
            + " inventory's group had committed, as the broker acknowledged it to inventory, when close() returned"
            + " after inventory finished o-2 and o-3 (offsets 1 and 2): 3 is the next to read. Closing the consumer"
            + " commits what was handled and waits for the broker's answer, for as long as the consumer's own close() does"
            + " (%d s: here the coordinator, loaded, answers only just within them); a close with a shorter limit"
            + " (close(Duration.ofMillis(100)), close(Duration.ZERO)), or a close() that returns before the consumer is"
            + " closed, gives that commit up, and a restart handles them again", COORDINATOR_ANSWERS.toSeconds())
            .isEqualTo(3);
      }
      Timeline.note("inventory starts again");
      Service.newConsumer = workbook.kafka.Clients::consumer;
      Service again = start(name, topic, inventory);
      Map<Integer, Long> end = Topics.endOffsets(topic);
      Poll.until(() -> reached(again.position(), end), WAIT, () -> "inventory stands at " + at(again.position()));
      int mugs = events.stream().flatMap(e -> e.data(Shop.Order.class).lines().stream())
          .filter(l -> l.sku().equals("mug")).mapToInt(Shop.Line::quantity).sum();
      String why = inventory.stock("mug") > 100 - mugs
          ? "Some orders were never applied: their offsets were committed before inventory had reacted, so the"
            + " restart did not read them again: the reaction ran on another thread while the poll loop went on and"
            + " committed, or the poll loop, told to stop, left the rest of its poll's records (o-3) unhandled, and"
            + " closing the consumer committed its position past them. React on the polling thread, to every record"
            + " a poll returned, so that a commit covers only what was handled"
          : "Some orders were applied twice: the restart read again what had been handled. Does the service commit"
            + " what it handled, and resume from its group's offsets rather than from the beginning?";
      assertThat(inventory.stock("mug")).as("TODO 4: mugs after inventory stopped in the middle of the second of 3"
          + " orders and started again (%d mugs ordered in all). %s", mugs, why).isEqualTo(100 - mugs);
    }
    @Test
    @DisplayName("a reaction that throws is logged and skipped, whatever it throws: the service goes on with the next events and commits past it")
    void failedReactionIsSkipped() throws Exception {
      String topic = Topics.fresh("orders", 1);
      String name = Topics.unique("inventory");
      var inventory = new Reactions.Inventory();
      // The reactions to o-2 to o-17 throw, each something else a reaction may throw (those that sound transient, a
      // timeout, a concurrent change, a rejected task, among them); o-1 and o-18 succeed.
      List<RuntimeException> thrown = List.of(new IllegalStateException("cannot be handled"),
          new NullPointerException("no customer"), new IllegalArgumentException("not an order this inventory knows"),
          new java.io.UncheckedIOException("the warehouse did not answer", new java.io.IOException("timeout")),
          new java.util.ConcurrentModificationException("the stock changed meanwhile"),
          new UnsupportedOperationException("not supported by this warehouse"),
          new org.apache.kafka.common.errors.TimeoutException("the stock service timed out"),
          new java.util.concurrent.CompletionException(new java.io.IOException("the warehouse hung up")),
          new java.util.concurrent.RejectedExecutionException("the warehouse's pool is full"),
          new java.util.concurrent.CancellationException("the warehouse call was cancelled"),
          new ArithmeticException("/ by zero"), new ClassCastException("not a line"),
          new IndexOutOfBoundsException("no line 3"), new java.util.NoSuchElementException("no such sku"),
          new java.time.DateTimeException("no delivery date"), new SecurityException("not allowed"));
      Map<String, RuntimeException> failures = new java.util.HashMap<>();
      for (int i = 0; i < thrown.size(); i++) failures.put("o-" + (i + 2), thrown.get(i));
      // How many times each order was handed to the reaction: once, a failure included (skipped, not retried).
      Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();
      // the thread that ran the last reaction that threw: a service that let the failure through ends its poll loop there
      var threwOn = new java.util.concurrent.atomic.AtomicReference<Thread>();
      Service service = start(name, topic, event -> {
        calls.merge(event.data(Shop.Order.class).orderId(), 1, Integer::sum);
        RuntimeException failure = failures.get(event.data(Shop.Order.class).orderId());
        if (failure != null) {
          threwOn.set(Thread.currentThread());
          throw failure;
        }
        inventory.on(event);
      });
      List<Envelope> events = publish(topic, 1, failures.size() + 2);
      String last = "o-" + events.size();
      String threw = "the reactions to o-2 to o-" + (events.size() - 1) + " threw";
      java.util.function.Supplier<String> stopped = () -> "TODO 4: inventory read "
          + service.seen().size() + " of " + events.size() + " events while " + threw + " (in turn "
          + thrown.stream().map(e -> e.getClass().getSimpleName()).toList() + "): a reaction"
          + " that throws, whatever it throws, is logged and skipped (Service.handle catches every RuntimeException),"
          + " and the service goes on with the next event; one it let through stopped its poll loop, and closing the"
          + " consumer committed the rest of the poll unhandled";
      // Told as soon as the service's loop is seen ended (the thread a reaction threw on has died, and the service has
      // left its group), rather than after the whole wait: both, as a service may hand each event to a thread it joins.
      var nextLook = new java.util.concurrent.atomic.AtomicLong();
      Poll.until(() -> service.seen().size() >= events.size() || loopEnded(threwOn.get(), Service.groupFor(name),
          nextLook), WAIT, stopped);
      assertThat(service.seen().size()).as("%s (its poll loop ended: the thread a reaction threw on is gone, and the"
          + " service left its group)", stopped.get()).isGreaterThanOrEqualTo(events.size());
      int mugs = events.stream().filter(e -> !failures.containsKey(e.data(Shop.Order.class).orderId()))
          .flatMap(e -> e.data(Shop.Order.class).lines().stream())
          .filter(l -> l.sku().equals("mug")).mapToInt(Shop.Line::quantity).sum();
      Poll.until(() -> inventory.stock("mug") == 100 - mugs, WAIT, () -> "TODO 4: mugs after o-1 and " + last
          + " (" + threw + "): " + inventory.stock("mug") + ", expected " + (100 - mugs));
      service.close();
      assertThat(new java.util.TreeMap<>(calls)).as("TODO 4: how many times each order was handed to inventory's"
          + " reaction (%s, in turn %s): once each, expected {o-1=1, ..., %s=1}. A reaction that throws is logged and"
          + " skipped, not tried again, whatever it throws (one that sounds transient too: a timeout, a concurrent"
          + " change): a reaction that took one line of an order out of stock and then threw would take it out again at"
          + " every try (retries belong to lab 12, with a dead letter at the end)", threw,
          thrown.stream().map(e -> e.getClass().getSimpleName()).toList(), last)
          .isEqualTo(events.stream().collect(Collectors.toMap(e -> e.data(Shop.Order.class).orderId(), e -> 1,
              (a, b) -> a, java.util.TreeMap::new)));
      assertThat(Topics.lag(Service.groupFor(name), topic)).as("TODO 4: the lag of inventory's group once it stopped:"
          + " the skipped event counts as read, so the group ends at the end of the log").isZero();
    }

    /** True once {@code thread} has died and {@code group} has no members (looked at every quarter second at most). */
    boolean loopEnded(Thread thread, String group, java.util.concurrent.atomic.AtomicLong nextLook) {
      if (thread == null || thread.isAlive() || System.nanoTime() < nextLook.get()) return false;
      nextLook.set(System.nanoTime() + Duration.ofMillis(250).toNanos());
      try {
        return membersOf(group).isEmpty();
      } catch (Exception e) {
        return false; // the group is being rebalanced or the broker is slow: look again
      }
    }

    @Test
    @Order(20) // ordered tests run before the unordered ones: second of its step, after the pure settings check (@Order(1))
    @DisplayName("a service reacts to a partition's events one at a time, in the order they were published")
    void reactsInOrder() throws Exception {
      // A backlog of one order's events (its confirm, then its changes), published before the service starts, so that
      // its first polls hold many of them. Kafka hands a partition's records over in offset order; a service that
      // reacts to a poll's records on a parallel stream or a pool (even one it waits for before the next poll) reacts
      // to them in no fixed order, and a cancel is applied before the confirm it cancels.
      String topic = Topics.fresh("orders", 1);
      KafkaProducer<String, String> producer = use(Clients.producer("shop"));
      int count = 64;
      Envelope confirmed = envelope(1);
      for (int step = 1; step <= count; step++) {
        Envelope e = new Envelope(UUID.randomUUID().toString(), step == 1 ? "order.confirmed" : "order.changed",
            confirmed.correlationId(), confirmed.eventId(), Instant.now(), "shop", Json.tree(Map.of("orderId", "o-1",
                "step", step)));
        producer.send(new ProducerRecord<>(topic, "o-1", e.toJson()));
      }
      producer.flush();
      List<Integer> reacted = new java.util.concurrent.CopyOnWriteArrayList<>();
      var inHand = new java.util.concurrent.atomic.AtomicInteger();
      var overlapping = new java.util.concurrent.atomic.AtomicInteger();
      Service service = start(Topics.unique("inventory"), topic, event -> {
        if (inHand.incrementAndGet() > 1) overlapping.incrementAndGet();
        reacted.add(event.data().get("step").asInt());
        inHand.decrementAndGet();
      });
      Poll.until(() -> reacted.size() >= count, WAIT, () -> "TODO 4: the service reacted to " + reacted.size() + " of "
          + count + " events");
      service.close();
      List<Integer> inOrder = IntStream.rangeClosed(1, count).boxed().toList();
      int first = IntStream.range(0, Math.min(reacted.size(), count)).filter(i -> reacted.get(i) != i + 1).findFirst()
          .orElse(-1);
      assertThat(List.of(reacted, overlapping.get())).as("TODO 4: the order in which the service reacted to one order's"
          + " %d events, published in turn to one partition (%s), and the reactions that ran while another was running"
          + " (%d): a service reacts to a partition's events one at a time, in the order poll returned them (offset"
          + " order), on the polling thread (or on one thread it hands each to and waits for). A parallel stream or a"
          + " pool over a poll's records, even one waited for before the next poll, reacts in no fixed order: an order's"
          + " cancel before its confirm. On a machine of two cores the JVM's common pool has one thread, and it still"
          + " shows", count, first < 0 ? "in order" : "step " + reacted.get(first) + " came in place " + (first + 1),
          overlapping.get()).isEqualTo(List.of(inOrder, 0));
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: Replay from the start, one reaction at a time")
  class Step4OneAtATime {
    @Test
    @DisplayName("a service reacts on its polling thread, or one thread it waits for: while a reaction is in hand, no other reaction of its poll runs elsewhere")
    void noReactionRunsBesideAnother() throws Exception {
      // A backlog on each of eight partitions before the service starts: its first poll holds records of all of them. The
      // first reaction is held until no other thread could still start one: another reaction started meanwhile (on a
      // pool's thread, or on the polling thread while a pool's thread holds the first) is a second reaction in hand. A
      // parallel stream over the poll's partitions keeps each partition in order and still does that: on a machine of
      // two cores the JVM's common pool has one thread, which takes the partitions the polling thread has not. (Eight
      // partitions: a parallel stream splits a poll's set of partitions by where they fall in a hash table, and three
      // may all fall in one half of it and be run by one thread.)
      String topic = Topics.fresh("orders", 8);
      publish(topic, 1, 32);
      var first = new java.util.concurrent.atomic.AtomicReference<Thread>();
      var reached = new java.util.concurrent.CountDownLatch(1);
      var release = new java.util.concurrent.CountDownLatch(1);
      var beside = new java.util.concurrent.CopyOnWriteArrayList<String>();
      var seen = new java.util.concurrent.atomic.AtomicInteger();
      Service service = start(Topics.unique("inventory"), topic, event -> {
        seen.incrementAndGet();
        if (first.compareAndSet(null, Thread.currentThread())) {
          reached.countDown();
          try {
            release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        } else if (release.getCount() > 0) {
          beside.add(event.data(Shop.Order.class).orderId() + " on " + Thread.currentThread().getName() + ", while "
              + first.get().getName() + " held the first");
        }
      });
      assertThat(reached.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("inventory reacted to its first event").isTrue();
      try {
        // Until a reaction starts beside the first, or the JVM's common pool is idle with nothing submitted (no thread
        // left that could start one; isQuiescent() alone does not count tasks submitted from outside the pool, as a
        // parallel stream's polling thread submits them): for a service that reacts on one thread, at once. Bounded.
        var pool = java.util.concurrent.ForkJoinPool.commonPool();
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (beside.isEmpty() && (!pool.isQuiescent() || pool.hasQueuedSubmissions()) && System.nanoTime() < end) {
          java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
      } finally {
        release.countDown();
      }
      Poll.until(() -> seen.get() >= 32, WAIT, () -> "inventory reacted to " + seen.get() + " of 32 events");
      service.close();
      assertThat(beside.stream().limit(3).toList()).as("TODO 4: reactions that started while inventory's first reaction"
          + " was still in hand (its first poll held records of eight partitions): a service reacts to a poll's records"
          + " one at a time, on its polling thread (or one thread it hands each to and waits for), so that the next poll"
          + " commits only what was handled and close() waits for the one reaction in hand. A parallel stream or a pool"
          + " over the poll's partitions keeps each partition in order, yet runs reactions side by side on threads the"
          + " service does not own (on two cores too: the common pool's thread takes the partitions the polling thread"
          + " has not): state shared by the reactions is changed from two threads at once").isEmpty();
    }
  }

  @Nested
  @Tag("step4")
  @DisplayName("Step 4: under generated faults")
  class Step4UnderFaults {
    @Test @WaitsLong
    @DisplayName("inventory dying or stopped in the middle of an event and started again, generated: no event lost, lag 0 at the end")
    void inventoryUnderFaults() throws Exception {
      // Each schedule makes inventory die (as after a kill -9) and stop (a deploy) in the middle of an event, at events
      // its seed picks (printed; FAULTS_SEED=n plays one again, FAULTS_SCHEDULES=n plays more). No sleeps: a fault
      // happens at the n-th event a run of inventory reacts to.
      Schedules.check("lab 08's inventory under faults", 1, Halt::schedule, schedule -> underFaults(schedule));
    }

    void underFaults(List<Halt> schedule) throws Exception {
      String topic = Topics.fresh("orders", 3);
      String name = Topics.unique("inventory");
      Set<String> reacted = java.util.concurrent.ConcurrentHashMap.newKeySet();
      List<String> published = new ArrayList<>();
      int run = 0;
      for (Halt h : schedule) {
        run++;
        // a few new events before each run, so that each has events to react to
        publish(topic, 100 * run, 4).forEach(e -> published.add(e.eventId()));
        var reached = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var dead = new java.util.concurrent.atomic.AtomicBoolean();
        var blockedOn = new java.util.concurrent.atomic.AtomicReference<Thread>();
        var count = new java.util.concurrent.atomic.AtomicInteger();
        Service service = started(() -> Service.start(name, topic, event -> {
          if (dead.get()) throw new Crash(name + " is dead and reacts to nothing more");
          if (count.incrementAndGet() == h.atEvent()) {
            blockedOn.set(Thread.currentThread());
            reached.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new Crash(name + " was interrupted in the middle of an event");
            }
            if (dead.get()) throw new Crash(name + " dies in the middle of " + Envelope.shortId(event.eventId()));
          }
          reacted.add(event.eventId());
        }));
        try {
          assertThat(reached.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("TODO 4: inventory never reacted to its"
              + " %s event after it started (it stands at %s)", Halt.nth(h.atEvent()), at(service.position())).isTrue();
          if (h.dies()) {
            Timeline.note("inventory dies in the middle of its " + Halt.nth(h.atEvent()) + " event");
            // The broker gives up on a dead member when its session times out: the test removes it from the group.
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of(
                org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Broker.bootstrapServers()))) {
              admin.removeMembersFromConsumerGroup(Service.groupFor(name),
                  new org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions()).all().get(10, TimeUnit.SECONDS);
            }
            dead.set(true);
            release.countDown();
            service.close();
          } else {
            Timeline.note("inventory is stopped in the middle of its " + Halt.nth(h.atEvent()) + " event");
            Thread stopping = new Thread(service::close, "stopping");
            stopping.start();
            // Reacting on its own thread, close() waits for the reaction; reacting elsewhere, close() returns first.
            if (!blockedOn.get().getName().equals(name)) stopping.join(WAIT.toMillis());
            release.countDown();
            stopping.join(WAIT.toMillis());
          }
        } finally {
          release.countDown();
          service.close();
        }
      }
      Timeline.note("inventory starts again, for good");
      Service last = start(name, topic, event -> reacted.add(event.eventId()));
      Map<Integer, Long> end = Topics.endOffsets(topic);
      Poll.until(() -> reached(last.position(), end), WAIT, () -> "inventory stands at " + at(last.position()));
      last.close();
      List<String> lost = published.stream().filter(id -> !reacted.contains(id)).map(Envelope::shortId).toList();
      assertThat(lost).as("TODO 4: events inventory never reacted to, after it died or was stopped in the middle of an"
          + " event and started again (%s): their offsets were committed before inventory had reacted to them (a"
          + " commit right after poll, a reaction on another thread while the poll loop goes on and commits, or a"
          + " poll loop that, told to stop, leaves the rest of its poll's records unhandled while closing the"
          + " consumer commits past them), so no restart read them again. React on the polling thread: the next poll commits only what was handled",
          schedule).isEmpty();
      assertThat(Topics.lag(Service.groupFor(name), topic)).as("TODO 4: inventory's lag once it read every event and"
          + " stopped: the committed position is the next event to read").isZero();
    }
  }

  /** Inventory dies (kill -9) or is stopped (a deploy) in the middle of the n-th event of a run. */
  record Halt(boolean dies, int atEvent) {
    @Override public String toString() {
      return "inventory " + (dies ? "dies" : "is stopped") + " at its " + nth(atEvent) + " event";
    }

    static String nth(int n) {
      return n + (n == 1 ? "st" : n == 2 ? "nd" : n == 3 ? "rd" : "th");
    }

    /** Two deaths and a stop, in an order and at events the seed picks. */
    static List<Halt> schedule(java.util.Random random) {
      List<Boolean> dies = new ArrayList<>(List.of(true, true, false));
      java.util.Collections.shuffle(dies, random);
      return dies.stream().map(d -> new Halt(d, 1 + random.nextInt(4))).toList();
    }
  }

  // ---- helpers ----

  /** For each partition, the highest offset the broker acknowledged committing for {@code group} on {@code topic}. */
  static Map<Integer, Long> acknowledgedCommits(String group, String topic) {
    Map<Integer, Long> committed = new java.util.TreeMap<>();
    for (var e : workbook.story.Story.entries()) {
      if (e.kind() == workbook.story.Story.Kind.COMMITTED && group.equals(e.group()) && topic.equals(e.topic())) {
        committed.merge(e.partition(), e.offset(), Math::max);
      }
    }
    return committed;
  }

  /**
   * An eventId must be a random UUID as UUID.randomUUID() writes it (version 4: 122 random bits), so that
   * no two events clash, made by one process or by many, however many there are.
   */
  static void assertRandomUuid(String id) {
    java.util.UUID uuid = null;
    try {
      uuid = UUID.fromString(String.valueOf(id));
    } catch (IllegalArgumentException notOne) {
      // told below
    }
    assertThat(uuid != null && uuid.toString().equals(id) && uuid.version() == 4 && uuid.variant() == 2)
        .as("TODO 1: the eventId %s should be a new random UUID (UUID.randomUUID().toString(), 36 characters, 122"
            + " random bits). Consumers drop an event whose id they saw as a redelivery: an id made from the clock and"
            + " a counter clashes when two instances of the shop make an event in the same millisecond, and a"
            + " shortened UUID (8 hex digits, 32 bits) clashes once there are some ten thousand events", id)
        .isTrue();
  }

  <T extends AutoCloseable> T use(T closeable) {
    open.push(closeable);
    return closeable;
  }

  Service start(String name, String topic, Service.Reaction reaction) {
    return use(started(() -> Service.start(name, topic, reaction)));
  }

  /** Service.start, or a failure that says why Kafka refused the consumer's settings (TODO 4 sets one). */
  static Service started(java.util.concurrent.Callable<Service> start) {
    try {
      return start.call();
    } catch (org.apache.kafka.common.config.ConfigException e) {
      throw new AssertionError("TODO 4: Kafka refused the service's consumer settings (Service.config): " + e.getMessage()
          + " auto.offset.reset takes earliest (the oldest event the broker keeps), latest or none", e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Today's date as a version a name may carry: the year (2026), the year and the month either way round with two
   * digits each (2612, 1226) or four for the year (202612, 122026), the ISO week (26w50), and the month's name
   * (december). A name that holds one of these is another name next month, or next year.
   */
  static List<String> today() {
    java.time.LocalDate today = java.time.LocalDate.now();
    String yyyy = String.valueOf(today.getYear()), yy = yyyy.substring(yyyy.length() - 2);
    String mm = String.format(java.util.Locale.ROOT, "%02d", today.getMonthValue());
    String ww = String.format(java.util.Locale.ROOT, "%02d", today.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    String month = today.getMonth().name().toLowerCase(java.util.Locale.ROOT);
    return List.of(yyyy, yy + mm, mm + yy, mm + yyyy, yy + "w" + ww, month);
  }

  /** The addresses of this machine, on every network it is on (an address names a machine as its host name does). */
  /** What the machine runs, as a group might be versioned by it: the Java version, the system, the architecture. */
  static List<String> runtime() {
    List<String> runtime = new ArrayList<>(List.of(String.valueOf(Runtime.version().feature()), Runtime.version().toString()));
    for (String property : List.of("java.version", "java.specification.version", "java.vm.version", "java.runtime.version",
        "java.vendor", "os.name", "os.arch", "os.version")) {
      String value = System.getProperty(property);
      if (value != null) runtime.add(value);
    }
    return runtime.stream().distinct().toList();
  }

  static List<String> addresses() throws Exception {
    List<String> addresses = new ArrayList<>(List.of(java.net.InetAddress.getLocalHost().getHostAddress()));
    for (var nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      for (var address : java.util.Collections.list(nic.getInetAddresses())) {
        String text = address.getHostAddress();
        addresses.add(text.contains("%") ? text.substring(0, text.indexOf('%')) : text);
      }
    }
    return addresses.stream().distinct().toList();
  }

  /** What {@code Service.groupFor(service)} says in a new JVM: a restarted service is a new process. */
  static List<String> groupInANewProcess(String service) throws Exception {
    // Another machine's name, another user, another working directory: all the new process can be given.
    Map<String, String> elsewhere = Map.of("HOSTNAME", "another-machine", "HOST", "another-machine",
        "COMPUTERNAME", "another-machine", "USER", "someone-else", "USERNAME", "someone-else");
    List<String> groups = inANewProcess(GroupOf.class, elsewhere, service).lines().filter(l -> l.startsWith("group: "))
        .map(l -> l.substring("group: ".length())).toList();
    assertThat(groups).as("the groups a new JVM running GroupOf printed").hasSize(4);
    return groups;
  }

  /** What a main class of this test prints when run in a new JVM, on this run's class path. */
  static String inANewProcess(Class<?> main, String... args) throws Exception {
    return inANewProcess(main, Map.of(), args);
  }

  /** The same, with these environment variables changed, from a working directory of its own. */
  static String inANewProcess(Class<?> main, Map<String, String> env, String... args) throws Exception {
    List<String> classPath = new ArrayList<>();
    for (ClassLoader l = Service.class.getClassLoader(); l != null; l = l.getParent()) {
      if (l instanceof java.net.URLClassLoader u) {
        for (java.net.URL url : u.getURLs()) classPath.add(java.nio.file.Path.of(url.toURI()).toString());
      }
    }
    classPath.addAll(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
    String jvm = ProcessHandle.current().info().command().orElse("java");
    classPath.replaceAll(entry -> java.nio.file.Path.of(entry).toAbsolutePath().toString());
    List<String> command = new ArrayList<>(List.of(jvm, "-cp", String.join(java.io.File.pathSeparator, classPath),
        main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    java.nio.file.Path elsewhere = null;
    if (!env.isEmpty()) {
      elsewhere = java.nio.file.Files.createTempDirectory("workbook-elsewhere-");
      builder.directory(elsewhere.toFile());
      command.add(command.size() - 1 - args.length, "-Duser.name=" + env.getOrDefault("USER", "someone-else"));
      // and another machine's cores and language (Turkish, where "i".toUpperCase() is not "I")
      command.addAll(command.size() - 1 - args.length, List.of("-XX:+IgnoreUnrecognizedVMOptions",
          "-XX:ActiveProcessorCount=" + (Runtime.getRuntime().availableProcessors() + 3), "-Duser.language=tr",
          "-Duser.country=TR"));
      builder.command(command);
    }
    try {
      Process process = builder.start();
      String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("a new JVM running " + main.getSimpleName()).isTrue();
      assertThat(process.exitValue()).as("a new JVM running %s %s, said: %s", main.getSimpleName(), List.of(args), out)
          .isZero();
      return out;
    } finally {
      if (elsewhere != null) workbook.files.Folders.delete(elsewhere); // nothing of a run outlives it
    }
  }

  /**
   * Prints the ids of three events made in a new JVM (run by {@link #inANewProcess}): two first, one caused; then the
   * times of a first and a caused event made as on machines in UTC+14 and UTC-12.
   */
  public static final class EventIds {
    public static void main(String[] args) {
      Envelope first = Envelope.first("order.confirmed", "shop", "checkout-7", order(7));
      System.out.println(first.eventId());
      System.out.println(Envelope.first("order.confirmed", "shop", "checkout-8", order(8)).eventId());
      System.out.println(first.causes("shipment.requested", "shipping", Map.of("orderId", "o-7")).eventId());
      // then as on machines in UTC+14 and UTC-12: "time <zone> <which> <before> <stamped> <after>"
      for (String zone : List.of("Pacific/Kiritimati", "Etc/GMT+12", FallBack.ID, FallBack.SOON)) {
        java.util.TimeZone.setDefault(zone.startsWith("Workbook/") ? FallBack.zone(zone) : java.util.TimeZone.getTimeZone(zone));
        Instant before = Instant.now();
        Envelope made = Envelope.first("order.confirmed", "shop", "checkout-9", order(9));
        System.out.println("time " + zone + " first " + before + " " + made.timestamp() + " " + Instant.now());
        before = Instant.now();
        Envelope caused = made.causes("shipment.requested", "shipping", Map.of("orderId", "o-9"));
        System.out.println("time " + zone + " causes " + before + " " + caused.timestamp() + " " + Instant.now());
      }
    }
  }

  /**
   * Two time zones whose clock falls back two hours (daylight saving ending, as in every zone that keeps it, in its hour
   * of the year): in Workbook/FallBack it fell back an hour ago, in Workbook/FallsBack it falls back in an hour. In both
   * the machine's local time now happens twice: a local time read back through the zone
   * (LocalDateTime.now().atZone(ZoneId.systemDefault())) is taken as the earlier of the two, wrong after the fall back;
   * one taken as the later (withLaterOffsetAtOverlap(), or java.util's standard time as java.sql.Timestamp.valueOf
   * takes it) is wrong before it. (java.util sees each as a zone of standard time UTC, as a real zone's after the fall.)
   */
  public static final class FallBack extends java.time.zone.ZoneRulesProvider {
    static final String ID = "Workbook/FallBack";
    static final String SOON = "Workbook/FallsBack";
    private static boolean registered;
    private final Map<String, java.time.zone.ZoneRules> rules;

    FallBack() {
      Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
      rules = Map.of(ID, fallingBack(now.minus(Duration.ofHours(1))), SOON, fallingBack(now.plus(Duration.ofHours(1))));
    }

    /** Summer time UTC+2 until {@code at}, then UTC. */
    static java.time.zone.ZoneRules fallingBack(Instant at) {
      java.time.ZoneOffset summer = java.time.ZoneOffset.ofHours(2), winter = java.time.ZoneOffset.UTC;
      return java.time.zone.ZoneRules.of(summer, summer, List.of(), List.of(java.time.zone.ZoneOffsetTransition.of(
          java.time.LocalDateTime.ofInstant(at, summer), summer, winter)), List.of());
    }

    @Override protected Set<String> provideZoneIds() { return rules.keySet(); }

    @Override protected java.time.zone.ZoneRules provideRules(String zoneId, boolean forCaching) { return rules.get(zoneId); }

    @Override protected java.util.NavigableMap<String, java.time.zone.ZoneRules> provideVersions(String zoneId) {
      return new java.util.TreeMap<>(Map.of("1", rules.get(zoneId)));
    }

    /** The machine's time zone as one of these (registered once, in the new JVM that runs EventIds). */
    static synchronized java.util.TimeZone zone(String id) {
      if (!registered) registerProvider(new FallBack());
      registered = true;
      return new java.util.SimpleTimeZone(0, id);
    }
  }

  /**
   * Prints the group of the service named as its argument (run in a new JVM by {@link #groupInANewProcess}): in its own
   * time zone, then as on machines in UTC+14 and UTC-12, where the date is never the same, then in a language that
   * writes its digits otherwise (Persian).
   */
  public static final class GroupOf {
    public static void main(String[] args) {
      // A restarted process may start its services in another order, or others first: their groups are asked before
      // (a group numbered or picked in the order services are asked for is another group in this process).
      for (String other : List.of("shipping", "inventory-v2", "analytics", "notification", args[0] + "-v3")) {
        Service.groupFor(other);
      }
      System.out.println("group: " + Service.groupFor(args[0]));
      for (String zone : List.of("Pacific/Kiritimati", "Etc/GMT+12")) {
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone(zone));
        System.out.println("group: " + Service.groupFor(args[0]));
      }
      // and as on a machine whose language writes its digits otherwise (Persian, Arabic, Bengali, ...), where a number
      // formatted in the machine's language (String.format("%d"), NumberFormat) is another text
      java.util.Locale.setDefault(java.util.Locale.forLanguageTag("fa-IR"));
      System.out.println("group: " + Service.groupFor(args[0]));
    }
  }

  static Shop.Order order(int n) {
    List<Shop.Line> lines = n % 2 == 0
        ? List.of(new Shop.Line("mug", n % 3 + 1, 1250), new Shop.Line("tee", 1, 2200))
        : List.of(new Shop.Line("mug", n % 3 + 1, 1250));
    return new Shop.Order("o-" + n, "customer" + n + "@example.com", lines);
  }

  /** An envelope made by hand, so that steps 2 to 4 do not depend on step 1. */
  static Envelope envelope(int n) {
    return new Envelope(UUID.randomUUID().toString(), "order.confirmed", "checkout-" + n,
        "checkout-" + n, Instant.now(), "shop", Json.tree(order(n)));
  }

  /** Publishes orders from, from+1, ... the way a correct shop does, and waits for the broker. */
  List<Envelope> publish(String topic, int from, int count) throws Exception {
    KafkaProducer<String, String> producer = use(Clients.producer("shop"));
    List<Envelope> events = IntStream.range(from, from + count).mapToObj(FanOutTest::envelope).toList();
    for (Envelope e : events) producer.send(new ProducerRecord<>(topic, e.data(Shop.Order.class).orderId(), e.toJson()));
    producer.flush();
    return events;
  }

  /** Waits until every group (shared or not) has been given all events between its members. */
  static void awaitEveryGroup(List<Service> services, int events) {
    Map<String, List<Service>> byGroup = services.stream().collect(Collectors.groupingBy(s -> Service.groupFor(s.name())));
    Poll.until(() -> byGroup.values().stream().allMatch(g -> g.stream().mapToInt(s -> s.seen().size()).sum() >= events),
        WAIT, () -> "TODO 3: events read per service: " + services.stream()
            .map(s -> s.name() + "=" + s.seen().size()).collect(Collectors.joining(", ")) + " (of " + events + ")");
  }

  static List<ConsumerRecord<String, String>> records(
      org.apache.kafka.clients.consumer.Consumer<String, String> consumer, int count, String todo) {
    try {
      return Poll.records(consumer, count, WAIT);
    } catch (AssertionError e) {
      throw new AssertionError(todo + ": " + e.getMessage());
    }
  }

  static Envelope parse(String json) {
    try {
      return Envelope.fromJson(json);
    } catch (IllegalArgumentException e) {
      return fail("TODO 2: the value should be the envelope as JSON (event.toJson()), but was: " + json);
    }
  }

  /** True once a consumer stands at the end of every partition it holds (it has nothing left to read). */
  static boolean reached(Map<Integer, Long> position, Map<Integer, Long> end) {
    return !position.isEmpty() && position.entrySet().stream().allMatch(p -> p.getValue() >= end.getOrDefault(p.getKey(), 0L));
  }

  /** "4 of 12 events, no duplicates": what a service was given, against what was published. */
  static String count(List<String> seen, List<String> published) {
    long found = seen.stream().filter(published::contains).distinct().count();
    long duplicates = seen.size() - seen.stream().distinct().count();
    long others = seen.stream().filter(id -> !published.contains(id)).count();
    return found + " of " + published.size() + " events, " + (duplicates == 0 ? "no duplicates" : duplicates + " duplicates")
        + (others == 0 ? "" : ", and " + others + " other events");
  }

  /** "p0@4 p2@4": where a consumer stands, as the timeline writes it. */
  static String at(Map<Integer, Long> position) {
    return new java.util.TreeMap<>(position).entrySet().stream().map(e -> "p" + e.getKey() + "@" + e.getValue())
        .collect(Collectors.joining(" "));
  }

  /**
   * A reaction that counts its calls once they returned (or threw). A service notes an event as seen just before it
   * reacts to it, so a test that found every event seen can still read a reaction's state while the last reaction runs
   * (the race that made "two instances of one service" red under load): it waits for these counts first.
   */
  static final class Counted implements Service.Reaction {
    private final Service.Reaction reaction;
    private final java.util.concurrent.atomic.AtomicInteger returned = new java.util.concurrent.atomic.AtomicInteger();

    Counted(Service.Reaction reaction) { this.reaction = reaction; }

    @Override public void on(Envelope event) {
      try {
        reaction.on(event);
      } finally {
        returned.incrementAndGet();
      }
    }

    /** Waits (bounded) until this reaction returned for every event the services running it were given so far. */
    void awaitReturned(Service... services) {
      // returned is read first: at least the events seen a moment later, once it reaches them (seen comes first)
      Poll.until(() -> returned.get() >= java.util.Arrays.stream(services).mapToInt(s -> s.seen().size()).sum(), WAIT,
          () -> "the reactions to the events " + java.util.Arrays.stream(services).map(Service::name).toList()
              + " were given had not all returned: " + returned.get() + " of " + java.util.Arrays.stream(services)
              .mapToInt(s -> s.seen().size()).sum());
    }
  }

  /** The members of a consumer group, as the broker lists them (client id, and group.instance.id if static). */
  static List<String> membersOf(String group) throws Exception {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of(
        org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Broker.bootstrapServers()))) {
      return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group).members().stream()
          .map(m -> m.clientId() + m.groupInstanceId().map(id -> " (group.instance.id " + id + ")").orElse("")).toList();
    }
  }

  /** A name as a failure prints it: a long one cut in the middle, with its length. */
  static String shown(String name) {
    return name.length() <= 80 ? name : name.substring(0, 40) + "...(" + name.length() + " characters)..."
        + name.substring(name.length() - 20);
  }

  static long total(Map<Integer, Long> offsets) {
    return offsets.values().stream().mapToLong(Long::longValue).sum();
  }
}
