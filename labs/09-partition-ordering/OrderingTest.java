///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Ordering.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Poll;
import workbook.kafka.Timeline;
import workbook.kafka.Topics;

@DisplayName("Lab 09: Partition ordering")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class OrderingTest {
  public static void main(String[] args) { workbook.test.LabTests.run(OrderingTest.class, args); }

  static final int PARTITIONS = 6;
  static final int WORKERS = 3;
  static final Duration WAIT = Duration.ofSeconds(20);
  static final List<OrderEvents.OrderEvent> EVENTS = OrderEvents.scenario(800, 42);
  private final Deque<AutoCloseable> open = new ArrayDeque<>();

  @AfterEach
  void closeEverything() throws Exception {
    while (!open.isEmpty()) open.pop().close();
  }

  @Test
  @DisplayName("thousands of events for hundreds of orders: each order's in sequence, the orders interleaved")
  void scenario() {
    Map<String, List<Integer>> seqs = EVENTS.stream().collect(Collectors.groupingBy(OrderEvents.OrderEvent::orderId,
        TreeMap::new, Collectors.mapping(OrderEvents.OrderEvent::seq, Collectors.toList())));
    assertThat(EVENTS).as("events").hasSizeGreaterThan(2000);
    assertThat(seqs).as("orders").hasSize(800);
    seqs.forEach((order, s) -> assertThat(s).as("the seq of %s's events, in publishing order", order)
        .isEqualTo(IntStream.rangeClosed(1, s.size()).boxed().toList()));
    assertThat(EVENTS.subList(0, 10).stream().map(OrderEvents.OrderEvent::orderId).distinct().count())
        .as("different orders among the first ten events").isGreaterThan(5);
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: Key every event by its order id")
  class Step1 {
    @Test
    @DisplayName("all events of one order land on the same partition, whichever instance of the shop sends them")
    void oneOrderOnePartition() throws Exception {
      Placement placed = publishFromTwoShops(Topics.fresh("order-events", PARTITIONS));
      List<String> keyless = placed.keysByOrder().entrySet().stream()
          .filter(e -> e.getValue().size() > 1 || e.getValue().contains(null))
          .map(e -> e.getKey() + " got " + e.getValue()).limit(3).toList();
      assertThat(keyless).as("TODO 1: orders whose events did not all carry one and the same key (e.g. %s). A key"
          + " that differs between an order's events (the eventId, a random id, the event type) or no key at all"
          + " lets them land on different partitions, read by different workers in no fixed order: key every event"
          + " by its order id", keyless).isEmpty();
      List<String> scattered = scattered(placed.byOrder());
      assertThat(scattered).as("TODO 1: every event of an order carried the same key, yet %d orders landed on more"
          + " than one partition (e.g. %s) when two instances of the shop sent them. The partition must follow from"
          + " the key alone, the same in every producer and after every restart: a partitioner that ignores the key"
          + " (round robin) or remembers its own choices breaks that. Leave the partition to Kafka's default"
          + " partitioner (OrderEvents.producerConfig)", scattered.size(), scattered.stream().limit(3).toList())
          .isEmpty();
      assertWhereTheKeyHashes(placed, PARTITIONS);
    }

    @Test
    @DisplayName("different orders have different keys, and spread over all six partitions with no hot spot")
    void ordersSpread() throws Exception {
      Set<String> keys = EVENTS.stream().map(e -> String.valueOf(OrderEvents.keyFor(e))).collect(Collectors.toSet());
      assertThat(keys.size()).as("TODO 1: different keys among 800 orders (e.g. %s). Orders that share a key share"
          + " a partition and a worker: one key for all puts every event on one partition, a key per customer piles"
          + " a big customer's orders on one; null is no key at all. Each order needs a key of its own",
          keys.stream().limit(3).toList())
          .isGreaterThanOrEqualTo(800);
      Placement placed = publish(Topics.fresh("order-events", PARTITIONS), OrderEvents::record);
      assertThat(placed.perPartition().values()).as("TODO 1: events per partition %s: every one of the %d partitions"
          + " should get events, or the workers reading the others idle (one key for all, a few keys, or a"
          + " partition chosen from a hard-coded count?)", placed.perPartition(), PARTITIONS)
          .hasSize(PARTITIONS).allMatch(n -> n > 0);
      int fair = EVENTS.size() / PARTITIONS;
      assertThat(placed.perPartition().values().stream().mapToInt(Integer::intValue).max().orElse(0))
          .as("TODO 1: the busiest partition's events, of %s: more than 1.5 times its share (%d). Its worker does"
              + " that share alone while the others wait: the partitioning is skewed (a custom partitioner that uses"
              + " only some partitions?)", placed.perPartition(), fair)
          .isLessThanOrEqualTo(fair * 3 / 2);
      assertWhereTheKeyHashes(placed, PARTITIONS);
    }

    @Test
    @DisplayName("on a topic of another partition count (eight), every partition gets events too, and each order stays on one")
    void anotherPartitionCount() throws Exception {
      int partitions = 8;
      Placement placed = publish(Topics.fresh("order-events", partitions), EVENTS.subList(0, 800), OrderEvents::record);
      assertThat(placed.perPartition().keySet()).as("TODO 1: the partitions of an eight-partition topic that got"
          + " events, %s. The partition follows from the key and the topic's own partition count: a partition"
          + " computed from a count written into the code (six) leaves the other partitions, and their workers,"
          + " idle. Leave the partition to Kafka's default partitioner", placed.perPartition())
          .containsExactlyInAnyOrderElementsOf(IntStream.range(0, partitions).boxed().toList());
      assertThat(scattered(placed.byOrder())).as("TODO 1: orders on more than one partition of the eight").isEmpty();
      assertWhereTheKeyHashes(placed, partitions);
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: Share the partitions in one group")
  class Step2 {
    @Test
    @DisplayName("the three workers of a topic are in one group")
    void oneGroup() {
      Set<String> groups = IntStream.rangeClosed(1, WORKERS)
          .mapToObj(i -> Workers.groupFor("order-events", "worker-" + i)).collect(Collectors.toCollection(TreeSet::new));
      assertThat(groups).as("TODO 2: the groups of worker-1, worker-2 and worker-3: in groups of their own, each"
          + " worker reads every partition and every event is handled three times").hasSize(1);
      assertThat(Workers.groupFor("payment-events", "worker-1")).as("TODO 2: the group of the workers of another topic"
          + " (payment-events). A group is one set of workers sharing one stream: name it after its topic, so that the"
          + " workers of another topic (another service) are another group, with their own offsets and rebalances")
          .isNotEqualTo(Workers.groupFor("order-events", "worker-1"));
    }

    @Test
    @DisplayName("the workers share the six partitions, each takes part, and each event is handled once, those published before they started too")
    void shareThePartitions() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      // given: a backlog: the shop published the first half of the events before any worker ran
      int backlog = EVENTS.size() / 2;
      publish(topic, EVENTS.subList(0, backlog), OrderingTest::keyedByOrder);
      Handled handled = new Handled();
      Workers workers = start(topic, handled);
      assertOneReaderPerPartition(workers);
      publish(topic, EVENTS.subList(backlog, EVENTS.size()), OrderingTest::keyedByOrder);
      awaitAll(handled, EVENTS.size(), "TODO 2: events never handled. " + backlog + " of them were published before the"
          + " workers started: a new group reads a topic from its oldest record (auto.offset.reset=earliest, as"
          + " Clients.consumerConfig sets it); starting at the end (latest) skips every event published before the"
          + " group first committed: ");
      assertThat(handled.duplicates()).as("TODO 2: events handled more than once").isZero();
      assertThat(handled.perWorker()).as("events handled by each worker").hasSize(WORKERS).allSatisfy((w, n) ->
          assertThat(n).as("events handled by %s", w).isPositive());
    }

    @Test
    @DisplayName("keyed by order id, no order's events are handled out of order by the parallel workers")
    void noOrderOutOfOrder() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      Handled handled = new Handled();
      start(topic, handled);
      publish(topic, OrderEvents::record);
      awaitAll(handled, EVENTS.size(), "");
      tell(handled);
      assertHandledInOffsetOrder(handled);
      List<String> scattered = handled.scatteredOrders();
      assertThat(handled.invertedOrders()).as("TODO 1: orders whose events were handled out of order, e.g. %s."
          + " %d orders' events came from more than one partition (e.g. %s); keyFor gives %s: only a key per order"
          + " keeps an order's events on one partition, read by one worker in order", handled.examples(),
          scattered.size(), scattered.stream().limit(3).toList(), keysOfFirstOrder()).isZero();
      assertThat(handled.perWorker()).as("TODO 1: events handled by each worker (one key for all leaves workers idle)")
          .hasSize(WORKERS);
    }

    @Test
    @DisplayName("a worker leaves halfway: the others take over its partitions where it stopped, nothing lost, repeated or reordered")
    void workerLeaves() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      // Handling takes a little time here, as it does in a real service: a worker leaves with work in hand.
      // (8 ms a record: records a worker took but has not handled would take it seconds to finish, longer
      // than leaving the group takes even on a loaded machine, so a worker that commits them early loses them.)
      Handled handled = new Handled(Duration.ofMillis(8));
      Workers workers = start(topic, handled);
      // given: one group, so each partition has one reader (else every worker handles every event, seconds of it)
      assertOneReaderPerPartition(workers);
      List<OrderEvents.OrderEvent> events = EVENTS.subList(0, 900);
      publish(topic, events, OrderingTest::keyedByOrder);
      Poll.until(() -> handled.perWorker().getOrDefault("worker-1", 0) >= 20, WAIT,
          () -> "worker-1 handled " + handled.perWorker().getOrDefault("worker-1", 0) + " events, not yet 20");
      Timeline.note("worker-1 leaves after handling " + handled.perWorker().get("worker-1") + " events");
      workers.stop("worker-1");
      Timeline.note("worker-1 has left; the group rebalances: " + workers.held());
      awaitAll(handled, events.size(), "TODO 2: events lost when worker-1 left: records it had taken from the broker"
          + " but not handled yet had their offsets committed already, so nobody reads them again. Commit only what"
          + " was handled (poll, handle every record, then poll again): ");
      tell(handled);
      assertThat(handled.duplicates()).as("TODO 2: events handled a second time after worker-1 left (e.g. %s): the"
          + " worker that takes over a partition should resume at the group's committed offset; starting the"
          + " partition over hands an order's confirm again after its cancel", handled.redelivered()).isZero();
      assertHandledInOffsetOrder(handled);
      assertThat(handled.invertedOrders()).as("TODO 2: orders handled out of order across the rebalance, e.g. %s",
          handled.examples()).isZero();
    }
  }

  static void assertOneReaderPerPartition(Workers workers) {
    // A worker sees that the group took partitions from it only when its poll returns: until then the
    // workers' view can count a partition twice. Wait (bounded) for that, unless every worker holds
    // every partition (each in a group of its own): no rebalance is coming to change that.
    long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    Map<String, Set<Integer>> held = workers.held();
    while (held.values().stream().mapToInt(Set::size).sum() != PARTITIONS
        && !held.values().stream().allMatch(p -> p.size() == PARTITIONS) && System.nanoTime() < end) {
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
      held = workers.held();
    }
    assertThat(held.values().stream().mapToInt(Set::size).sum()).as("TODO 2: partitions held by the workers, %s:"
        + " in one group each partition has exactly one reader", held).isEqualTo(PARTITIONS);
  }

  /** The keys are right in step 2's own tests; this checks what the workers do with the records. */
  static void assertHandledInOffsetOrder(Handled handled) {
    assertThat(handled.partitionDisorder()).as("TODO 2: records handled after a later record of the same partition,"
        + " e.g. %s. The key is right: each order's events are on one partition, which Kafka hands to one worker in"
        + " offset order. But the worker handled that partition's records on several threads at once (a thread"
        + " pool, a parallel stream, a thread per record), or went on handling it after the group gave it to"
        + " another: handle a partition's records one at a time, in the order poll returned them",
        handled.partitionDisorderExamples()).isZero();
  }

  // ---- helpers ----

  /** Where the events landed: the partitions and keys of each order, and how many events each partition got. */
  record Placement(Map<String, Set<Integer>> byOrder, Map<String, Set<String>> keysByOrder,
      Map<Integer, Integer> perPartition, List<String> notWhereTheKeyHashes) {}

  static ProducerRecord<String, String> keyedByOrder(String topic, OrderEvents.OrderEvent e) {
    return new ProducerRecord<>(topic, e.orderId(), Json.write(e));
  }

  Placement publish(String topic, BiFunction<String, OrderEvents.OrderEvent, ProducerRecord<String, String>> toRecord)
      throws Exception {
    return publish(topic, EVENTS, toRecord);
  }

  Placement publish(String topic, List<OrderEvents.OrderEvent> events,
      BiFunction<String, OrderEvents.OrderEvent, ProducerRecord<String, String>> toRecord) throws Exception {
    try (KafkaProducer<String, String> producer = Clients.producer(OrderEvents.producerConfig())) {
      List<ProducerRecord<String, String>> records = events.stream().map(e -> toRecord.apply(topic, e)).toList();
      return placed(events, records, records.stream().map(producer::send).toList());
    }
  }

  /**
   * Two instances of the shop publish the events, taking turns; the second builds its events anew
   * (as it would, from its own database) rather than sharing the first one's objects.
   */
  Placement publishFromTwoShops(String topic) throws Exception {
    try (KafkaProducer<String, String> one = Clients.producer(OrderEvents.producerConfig());
        KafkaProducer<String, String> two = Clients.producer(OrderEvents.producerConfig())) {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < EVENTS.size(); i++) {
        OrderEvents.OrderEvent e = i % 2 == 0 ? EVENTS.get(i) : Json.read(Json.write(EVENTS.get(i)), OrderEvents.OrderEvent.class);
        ProducerRecord<String, String> record = OrderEvents.record(topic, e);
        records.add(record);
        sent.add((i % 2 == 0 ? one : two).send(record));
      }
      Timeline.note("two instances of the shop publish, taking turns");
      return placed(EVENTS, records, sent);
    }
  }

  /** Thousands of records would bury the timeline: it gets a summary instead. */
  static Placement placed(List<OrderEvents.OrderEvent> events, List<ProducerRecord<String, String>> records,
      List<Future<RecordMetadata>> sent) throws Exception {
    Map<String, Set<Integer>> byOrder = new TreeMap<>();
    Map<String, Set<String>> keysByOrder = new TreeMap<>();
    Map<Integer, Integer> perPartition = new TreeMap<>();
    List<String> notWhereTheKeyHashes = new ArrayList<>();
    int partitions = records.isEmpty() ? 1 : Topics.endOffsets(records.get(0).topic()).size();
    for (int i = 0; i < events.size(); i++) {
      int partition = sent.get(i).get().partition();
      String key = records.get(i).key();
      int hashed = key == null ? partition : defaultPartition(key, partitions);
      if (hashed != partition) {
        notWhereTheKeyHashes.add(events.get(i).orderId() + " (key " + key + ") on p" + partition + ", its key hashes to p" + hashed);
      }
      byOrder.computeIfAbsent(events.get(i).orderId(), k -> new TreeSet<>()).add(partition);
      keysByOrder.computeIfAbsent(events.get(i).orderId(), k -> new LinkedHashSet<>()).add(records.get(i).key());
      perPartition.merge(partition, 1, Integer::sum);
    }
    Timeline.note("shop published " + events.size() + " events for " + byOrder.size() + " orders, per partition "
        + perPartition);
    return new Placement(byOrder, keysByOrder, perPartition, notWhereTheKeyHashes);
  }

  /**
   * The partition Kafka's default partitioner gives a key: murmur2 of its bytes, modulo the topic's
   * partition count. Every producer of the topic with Kafka's defaults computes the same, in any process.
   */
  static int defaultPartition(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** Events that landed elsewhere than their key hashes to: the partition is not a function of the key alone. */
  static void assertWhereTheKeyHashes(Placement placed, int partitions) {
    assertThat(placed.notWhereTheKeyHashes()).as("TODO 1: events that did not land on the partition their key hashes"
        + " to (murmur2 of the key, modulo the topic's %d partitions), e.g. %s. That partition is the one every producer"
        + " of the topic computes for the key, in any process: another instance of the shop, another service, this"
        + " one after a restart. A partitioner that takes turns, balances load or remembers its choices (even in a"
        + " static map shared by the producers of one process) sends the same order elsewhere after a restart."
        + " Leave the partition to Kafka's default partitioner (OrderEvents.producerConfig)", partitions,
        placed.notWhereTheKeyHashes().stream().limit(3).toList()).isEmpty();
  }

  static List<String> scattered(Map<String, Set<Integer>> byOrder) {
    return byOrder.entrySet().stream().filter(e -> e.getValue().size() > 1)
        .map(e -> e.getKey() + " on " + e.getValue().stream().map(p -> "p" + p).collect(Collectors.joining(",")))
        .toList();
  }

  Workers start(String topic, Handled handled) {
    Workers workers = new Workers(topic, WORKERS, handled);
    open.push(workers);
    workers.awaitSettled(PARTITIONS, WAIT);
    Timeline.note("the workers hold " + workers.held() + "; publishing starts");
    return workers;
  }

  static void awaitAll(Handled handled, int events, String why) {
    Poll.until(() -> handled.count() >= events, WAIT,
        () -> why + "the workers handled " + handled.count() + " of " + events + " events");
    Timeline.note("events handled per worker: " + handled.perWorker());
  }

  static void tell(Handled handled) {
    Timeline.note("orders handled out of order: " + handled.invertedOrders() + ", records handled after a later one"
        + " of their partition: " + handled.partitionDisorder() + ", events handled twice: " + handled.duplicates());
    handled.examples().forEach(e -> Timeline.note("  " + e));
    handled.partitionDisorderExamples().forEach(e -> Timeline.note("  " + e));
  }

  /** "null, null, null" or "order-0001, ...": what keyFor gives for the events of the first order. */
  static String keysOfFirstOrder() {
    String first = EVENTS.get(0).orderId();
    return EVENTS.stream().filter(e -> e.orderId().equals(first))
        .map(e -> String.valueOf(OrderEvents.keyFor(e))).collect(Collectors.joining(", ", "[", "] for " + first));
  }
}
