///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Ordering.java ../../shared/src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.Timeout;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.kafka.Poll;
import workbook.kafka.Timeline;
import workbook.kafka.Topics;

@DisplayName("Lab 09: Partition ordering")
@TestClassOrder(ClassOrderer.DisplayName.class)  // Step 1, Step 2 in the report
@Timeout(60)
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
    @DisplayName("all events of one order land on the same partition")
    void oneOrderOnePartition() throws Exception {
      Placement placed = publish(Topics.fresh("order-events", PARTITIONS), OrderEvents::record);
      List<String> scattered = placed.byOrder().entrySet().stream().filter(e -> e.getValue().size() > 1)
          .map(e -> e.getKey() + " on " + e.getValue().stream().map(p -> "p" + p).collect(Collectors.joining(",")))
          .toList();
      assertThat(scattered.size()).as("TODO 1: orders whose events landed on more than one partition (e.g. %s)."
          + " Two workers then read them in no fixed order. keyFor gives %s: key every event by its order id",
          scattered.stream().limit(3).toList(), keysOfFirstOrder()).isZero();
    }

    @Test
    @DisplayName("different orders have different keys, and spread over all six partitions")
    void ordersSpread() throws Exception {
      Set<String> keys = EVENTS.stream().map(e -> String.valueOf(OrderEvents.keyFor(e))).collect(Collectors.toSet());
      assertThat(keys.size()).as("TODO 1: different keys among 800 orders (e.g. %s): with one key for all, every"
          + " event lands on one partition and one worker does all the work; null is no key at all",
          keys.stream().limit(3).toList())
          .isGreaterThanOrEqualTo(800);
      Placement placed = publish(Topics.fresh("order-events", PARTITIONS), OrderEvents::record);
      assertThat(placed.perPartition().values()).as("TODO 1: events per partition %s", placed.perPartition())
          .hasSize(PARTITIONS).allMatch(n -> n > 0);
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
    }

    @Test
    @DisplayName("the workers share the six partitions, each takes part, and each event is handled once")
    void shareThePartitions() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      Handled handled = new Handled();
      Workers workers = start(topic, handled);
      Map<String, Set<Integer>> held = workers.held();
      assertThat(held.values().stream().mapToInt(Set::size).sum()).as("TODO 2: partitions held by the workers, %s:"
          + " in one group each partition has exactly one reader", held).isEqualTo(PARTITIONS);
      // Keyed correctly here, so that this step is checked apart from step 1.
      publish(topic, (t, e) -> new ProducerRecord<>(t, e.orderId(), Json.write(e)));
      awaitAll(handled);
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
      awaitAll(handled);
      Timeline.note("orders handled out of order: " + handled.invertedOrders());
      handled.examples().forEach(e -> Timeline.note("  " + e));
      assertThat(handled.invertedOrders()).as("TODO 1: orders whose events were handled out of order, e.g. %s."
          + " keyFor gives %s: only a key per order keeps an order's events on one partition, read by one worker in"
          + " order", handled.examples(), keysOfFirstOrder()).isZero();
      assertThat(handled.perWorker()).as("TODO 1: events handled by each worker (one key for all leaves workers idle)")
          .hasSize(WORKERS);
    }
  }

  // ---- helpers ----

  /** Where the events landed: the partitions of each order, and how many events each partition got. */
  record Placement(Map<String, Set<Integer>> byOrder, Map<Integer, Integer> perPartition) {}

  Placement publish(String topic, BiFunction<String, OrderEvents.OrderEvent, ProducerRecord<String, String>> toRecord)
      throws Exception {
    Map<String, Set<Integer>> byOrder = new TreeMap<>();
    Map<Integer, Integer> perPartition = new TreeMap<>();
    // Thousands of records would bury the timeline: it gets a summary instead.
    try (KafkaProducer<String, String> producer = Clients.producer(Clients.withoutTimeline(Clients.producerConfig("shop")))) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (OrderEvents.OrderEvent e : EVENTS) sent.add(producer.send(toRecord.apply(topic, e)));
      for (int i = 0; i < EVENTS.size(); i++) {
        int partition = sent.get(i).get().partition();
        byOrder.computeIfAbsent(EVENTS.get(i).orderId(), k -> new TreeSet<>()).add(partition);
        perPartition.merge(partition, 1, Integer::sum);
      }
    }
    Timeline.note("shop published " + EVENTS.size() + " events for " + byOrder.size() + " orders, per partition "
        + perPartition);
    return new Placement(byOrder, perPartition);
  }

  Workers start(String topic, Handled handled) {
    Workers workers = new Workers(topic, WORKERS, handled);
    open.push(workers);
    workers.awaitSettled(PARTITIONS, WAIT);
    Timeline.note("the workers hold " + workers.held() + "; publishing starts");
    return workers;
  }

  static void awaitAll(Handled handled) {
    Poll.until(() -> handled.count() >= EVENTS.size(), WAIT,
        () -> "the workers handled " + handled.count() + " of " + EVENTS.size() + " events");
    Timeline.note("events handled per worker: " + handled.perWorker());
  }

  /** "null, null, null" or "order-0001, ...": what keyFor gives for the events of the first order. */
  static String keysOfFirstOrder() {
    String first = EVENTS.get(0).orderId();
    return EVENTS.stream().filter(e -> e.orderId().equals(first))
        .map(e -> String.valueOf(OrderEvents.keyFor(e))).collect(Collectors.joining(", ", "[", "] for " + first));
  }
}
