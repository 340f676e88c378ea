///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES Ordering.java ../../shared/src/workbook/test/*.java ../../shared/src/workbook/faults/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.utils.Utils;
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

@DisplayName("Lab 09: Partition ordering")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class OrderingTest {
  public static void main(String[] args) { workbook.test.LabTests.run(OrderingTest.class, args); }

  static final int PARTITIONS = 6;
  static final int WORKERS = 3;
  static final Duration WAIT = Duration.ofSeconds(20);
  /**
   * How long the group coordinator takes to answer in the test of stop and close (a broker under heavy load), simulated
   * (no real wait): as long as KafkaConsumer's own close() waits, 30 s, so that a close with any shorter limit gives the
   * commit up (a limit is a guess at how slow the broker may be, and the guess that is wrong on the day loses it).
   */
  static final Duration COORDINATOR_ANSWERS = Duration.ofSeconds(30);
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
      // Past the scenario's 800 orders: any two orders have two keys, a thousand, ten thousand or a hundred thousand
      // numbers apart too (generated order ids, seed printed; one customer for all, so only the order tells them apart).
      long seed = new Random().nextLong();
      Random random = new Random(seed);
      Set<String> orderIds = new java.util.LinkedHashSet<>();
      for (int i = 0; i < 100; i++) {
        int n = 1 + random.nextInt(900_000);
        for (int apart : List.of(0, 1, 1_000, 10_000, 100_000)) orderIds.add(String.format("order-%04d", n + apart));
      }
      Map<String, List<String>> byKey = orderIds.stream().collect(Collectors.groupingBy(id -> String.valueOf(
          OrderEvents.keyFor(new OrderEvents.OrderEvent(java.util.UUID.randomUUID().toString(), "order.confirmed", id,
              "customer-001", 1))), TreeMap::new, Collectors.toList()));
      assertThat(byKey.values().stream().filter(ids -> ids.size() > 1).limit(3).toList()).as("TODO 1: orders that"
          + " share a key (generated order ids, seed %d): every order needs a key of its own, whatever its number. A"
          + " key made from a part of the order id (its last digits, a number modulo a count) gives orders a thousand"
          + " apart one key: they share a partition and a worker. Key by the whole order id", seed).isEmpty();
      // and order ids of other shapes, as other shops and systems write them (generated, same seed): ids that differ only
      // in case, in a prefix or a suffix around the same number, that hash alike (String.hashCode(): ...Aa... and
      // ...BB...), or are long. Each is an order of its own, with a key of its own: the whole order id as it is.
      List<String> shapes = new ArrayList<>(Topics.distinctNames(new Random(seed), "order-" + (1 + random.nextInt(9_999))));
      String number = shapes.get(0).substring("order-".length());
      shapes.addAll(List.of("return-" + number, "ORD" + number, number, "order-" + number + "-2"));
      Map<String, List<String>> shapesByKey = shapes.stream().distinct().collect(Collectors.groupingBy(id -> String.valueOf(
          OrderEvents.keyFor(new OrderEvents.OrderEvent(java.util.UUID.randomUUID().toString(), "order.confirmed", id,
              "customer-001", 1))), TreeMap::new, Collectors.toList()));
      assertThat(shapesByKey.values().stream().filter(ids -> ids.size() > 1).limit(3).map(ids -> ids.stream()
          .map(OrderingTest::shown).toList()).toList()).as("TODO 1: orders that share a key (order ids of other shapes,"
          + " generated, seed %d): every order needs a key of its own, the whole order id as it is. A key made from its"
          + " number alone (order-0042 and return-0042), a hash of it (order ids that hash alike), or the id upper- or"
          + " lower-cased (ids that differ only in case; and upper-cased in the machine's locale, a Turkish machine"
          + " computes another key for the same order) puts two orders on one key", seed).isEmpty();
      // And the key holds the whole order id as it is (same seed): long ids, two by two sharing all but their last
      // letter (Kafka sets a key no length limit: its length is a varint), and ids with spaces around them. A key cut
      // to a length, stripped, or made from a hash of the id (a name UUID, a digest) is not the order id: it may join
      // two orders, and an operator or a consumer reading the key does not see which order it is. The lengths are one
      // past each power of two up to 1 MiB (Kafka's default max.request.size, past which a record is refused anyway),
      // so that a cut at any length, a byte's, a short's (32,767) or a char's (65,535) limit too, joins a pair.
      java.util.Random longer = new java.util.Random(seed);
      List<String> ids = new ArrayList<>(shapes);
      for (int length = 64; length <= 1 << 20; length *= 2) {
        StringBuilder beginning = new StringBuilder("order-");
        while (beginning.length() < length) beginning.append((char) ('a' + longer.nextInt(26)));
        ids.add(beginning + "a");
        ids.add(beginning + "b");
      }
      for (String spaced : List.of(" order-" + number, "order-" + number + " ", " order-" + number + " ")) ids.add(spaced);
      // and ids that differ only in their Unicode form (é as one letter or as e and an accent, the ligature ﬁ, full-width
      // digits): Kafka compares keys byte by byte, so a key normalized (NFC, NFKC) joins two orders or is not the id.
      ids.addAll(List.of("order-caf\u00e9-" + number, "order-cafe\u0301-" + number, "order-\ufb01-" + number,
          "order-fi-" + number, "order-\uff14\uff12-" + number, "order-42-" + number));
      java.util.function.Function<String, String> keyOf = id -> String.valueOf(OrderEvents.keyFor(new OrderEvents.OrderEvent(
          java.util.UUID.randomUUID().toString(), "order.confirmed", id, "customer-001", 1)));
      List<List<String>> sharing = ids.stream().distinct().collect(Collectors.groupingBy(keyOf, TreeMap::new,
          Collectors.toList())).values().stream().filter(same -> same.size() > 1).limit(3)
          .map(same -> same.stream().map(OrderingTest::shown).toList()).toList();
      // The key is the order id itself, exactly, and nothing more: a key that holds more (the customer and the order,
      // customer-001/order-0042) changes when that more changes (an order moved to another account), and the order's
      // later events land on another partition.
      List<String> notTheId = ids.stream().filter(id -> !id.equals(keyOf.apply(id))).limit(3)
          .map(id -> shown(id) + " keyed " + shown(keyOf.apply(id))).toList();
      assertThat(List.of(sharing, notTheId)).as("TODO 1: orders that share a key, and orders whose key is not their id"
          + " exactly as it is (long ids and ids with spaces around them, generated, seed %d): key every event by"
          + " its order id as it is, and by nothing more. A key cut to a length (\"keys should be short\"), stripped, or"
          + " made from a hash of the id (UUID.nameUUIDFromBytes, a digest), or normalized (NFC, NFKC: café as é or as e"
          + " and an accent) is not the order id: a cut or a strip joins two orders on one key, and no one reading the"
          + " record sees which order it is. A key that holds more than the id (the customer and the order,"
          + " customer-001/order-0042) changes with that more: an order moved to another customer account has its later"
          + " events on another partition, handled in no fixed order with its earlier ones", seed)
          .isEqualTo(List.of(List.of(), List.of()));
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
    @Test
    @DisplayName("the shop's producer keeps each partition in the order it sent, also when it retries a batch: idempotence on, as given")
    void producerKeepsThePartitionInOrder() {
      // On the tests' broker a send is hardly ever retried, so a reordering retry cannot be waited for: the test reads
      // the settings as Kafka's producer reads them from OrderEvents.producerConfig (Kafka's defaults where not set,
      // and idempotence turned off in silence where acks is not all).
      var config = new org.apache.kafka.clients.producer.ProducerConfig(OrderEvents.producerConfig());
      boolean idempotent = config.getBoolean(org.apache.kafka.clients.producer.ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
      int inFlight = config.getInt(org.apache.kafka.clients.producer.ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
      int retries = config.getInt(org.apache.kafka.clients.producer.ProducerConfig.RETRIES_CONFIG);
      String acks = config.getString(org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG);
      assertThat(idempotent && List.of("all", "-1").contains(acks)).as("TODO 1: the shop's producer (OrderEvents.producerConfig), as Kafka"
          + " reads it: enable.idempotence=%s, max.in.flight.requests.per.connection=%d, retries=%d, acks=%s. The key"
          + " puts an order's events on one partition, but the partition keeps them in the order sent only if a"
          + " retried batch cannot be stored after a later one: with idempotence off and more than one request in"
          + " flight, a batch that fails once is retried behind the next, and an order's cancel is stored before its"
          + " confirm. One request in flight with idempotence off keeps that order but not the rest: a retry after a"
          + " lost answer writes the batch twice, and acks=1 loses an acknowledged confirm when the partition's leader"
          + " fails over, the cancel kept. Keep the producer idempotent with acks=all, as Clients.producerConfig makes it"
          + " (acks other than all turn idempotence off in silence)", idempotent, inFlight, retries, acks).isTrue();
      // And it tries a refused batch as long as given: a batch given up on while the next one to the same partition is
      // stored leaves a gap in an order's events (its confirm failed, its cancel stored). Between tries the producer waits
      // retry.backoff.ms, doubled each time up to retry.backoff.max.ms (Kafka's defaults: 100 ms and 1 s): its last try
      // against a broker that refuses at once (a leader moving) comes within the longest of those waits of delivery.timeout.ms.
      var given = new org.apache.kafka.clients.producer.ProducerConfig(Clients.producerConfig("shop"));
      int deadline = config.getInt(org.apache.kafka.clients.producer.ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
      int givenDeadline = given.getInt(org.apache.kafka.clients.producer.ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
      long backoff = config.getLong(org.apache.kafka.clients.producer.ProducerConfig.RETRY_BACKOFF_MS_CONFIG);
      long backoffMax = Math.max(backoff, config.getLong(org.apache.kafka.clients.producer.ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
      long givenBackoffMax = Math.max(given.getLong(org.apache.kafka.clients.producer.ProducerConfig.RETRY_BACKOFF_MS_CONFIG),
          given.getLong(org.apache.kafka.clients.producer.ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
      long lastTry = 0;
      for (long n = 0, wait = Math.max(1, backoff); n < retries; n++) {
        long next = lastTry + Math.min(wait, backoffMax);
        if (next >= deadline) break;
        lastTry = next;
        wait = Math.min(wait * 2, backoffMax);
      }
      // send() itself may wait for the topic's metadata (a leader being elected) or for room in the buffer, up to
      // max.block.ms, and then fails the send at once: a deadline too, ahead of the tries.
      long blocks = config.getLong(org.apache.kafka.clients.producer.ProducerConfig.MAX_BLOCK_MS_CONFIG);
      long blocksGiven = given.getLong(org.apache.kafka.clients.producer.ProducerConfig.MAX_BLOCK_MS_CONFIG);
      assertThat(List.of(deadline >= givenDeadline, lastTry >= givenDeadline - givenBackoffMax, blocks >= blocksGiven))
          .as("TODO 1: the shop's producer (OrderEvents.producerConfig) gives up a send before it should:"
          + " delivery.timeout.ms=%d (given %d), retries=%d, retry.backoff.ms=%d up to retry.backoff.max.ms=%d: its last"
          + " try %d ms after the first, expected at least %d (within the longest wait between tries of the deadline);"
          + " max.block.ms=%d (given %d), how long send() waits for a leader or for room before it fails. A send given up"
          + " on while the next one to the partition is stored leaves a gap in the order's events: a leader election of a"
          + " second fails an order's confirm and its cancel, sent after, is stored. A count of retries (retries=3, a"
          + " tutorial's setting), a wait between tries as long as the deadline (\"not to hammer the broker\") or a send()"
          + " that may block a second at most (\"never block the shop\") gives up after a moment: leave them as given (as"
          + " many tries as fit in delivery.timeout.ms)", deadline, givenDeadline, retries, backoff, backoffMax, lastTry,
          givenDeadline - givenBackoffMax, blocks, blocksGiven).containsExactly(true, true, true);
    }

    @Test
    @DisplayName("the partition follows from the key alone, whatever the state of the cluster: a partitioner set on the shop's producer gives each key its hash's partition, also while a partition's leader is down")
    void partitionerFollowsTheKeyAlone() throws Exception {
      // The tests' one-node broker never loses a partition's leader, so a partitioner that treats a partition without a
      // leader otherwise cannot be seen at work: the test asks the partitioner the shop's producer is made with
      // (OrderEvents.producerConfig, as Kafka reads it; Kafka's own where none is set, which hashes every key) for the
      // partition of each order, on topics of six and eight partitions whose leaders are all up, one or two of them down.
      var config = new org.apache.kafka.clients.producer.ProducerConfig(OrderEvents.producerConfig());
      var partitioner = config.getConfiguredInstance(org.apache.kafka.clients.producer.ProducerConfig.PARTITIONER_CLASS_CONFIG,
          org.apache.kafka.clients.producer.Partitioner.class);
      if (partitioner == null) return; // Kafka's built-in partitioner: the partition of a key is its hash's
      // The shop's order ids, and order ids of other shapes as other shops and services write them (generated, seed
      // printed): ids that differ only in case, with spaces around them, in another Unicode form, long ones. The key's
      // partition is murmur2 of the key's own bytes: a partitioner that tidies the key first (lower-cases, strips,
      // normalizes it) puts it elsewhere than any other producer of the topic does.
      long seed = new Random().nextLong();
      Random random = new Random(seed);
      List<String> keys = new ArrayList<>(EVENTS.subList(0, 400).stream().map(OrderEvents.OrderEvent::orderId).toList());
      String number = String.valueOf(1 + random.nextInt(9_999));
      keys.addAll(Topics.distinctNames(random, "order-" + number));
      keys.addAll(List.of(" order-" + number, "order-" + number + " ", "ORDER-" + number, "Order-" + number,
          "order-caf\u00e9-" + number, "order-cafe\u0301-" + number, "order-\ufb01-" + number, "order-\uff14\uff12-" + number,
          "order-" + random.ints(300, 'a', 'z' + 1).mapToObj(c -> String.valueOf((char) c)).collect(Collectors.joining())));
      List<String> elsewhere = new ArrayList<>();
      try {
        var node = new org.apache.kafka.common.Node(0, "localhost", 9092);
        for (int partitions : List.of(PARTITIONS, 8)) {
          List<Set<Integer>> states = new ArrayList<>(List.of(Set.of()));
          for (int p = 0; p < partitions; p++) states.add(Set.of(p));
          states.add(Set.of(0, partitions - 1));
          for (Set<Integer> down : states) {
            List<org.apache.kafka.common.PartitionInfo> infos = IntStream.range(0, partitions).mapToObj(p ->
                new org.apache.kafka.common.PartitionInfo("order-events", p, down.contains(p) ? null : node,
                    new org.apache.kafka.common.Node[] {node}, down.contains(p) ? new org.apache.kafka.common.Node[0]
                    : new org.apache.kafka.common.Node[] {node})).toList();
            var cluster = new org.apache.kafka.common.Cluster("workbook", List.of(node), infos, Set.of(), Set.of());
            for (String key : keys) {
              OrderEvents.OrderEvent e = new OrderEvents.OrderEvent("event-1", "order.confirmed", key, "customer-001", 1);
              int expected = defaultPartition(key, partitions);
              int got = partitioner.partition("order-events", key, key.getBytes(StandardCharsets.UTF_8), Json.write(e),
                  Json.write(e).getBytes(StandardCharsets.UTF_8), cluster);
              if (got != expected && elsewhere.size() < 3) {
                elsewhere.add(shown(key) + " on p" + got + " of " + partitions + ", its key hashes to p" + expected
                    + (down.isEmpty() ? " (every leader up)" : " (the leader of p" + down + " down)"));
              }
            }
          }
        }
      } finally {
        partitioner.close();
      }
      assertThat(elsewhere).as("TODO 1: orders the shop's partitioner (%s, set in OrderEvents.producerConfig) sends"
          + " elsewhere than the partition their key hashes to (murmur2 of the key, modulo the topic's partition count)"
          + " on a cluster with every leader up, or one or two partitions' leaders down (a broker restarting), e.g. %s"
          + " (order ids of other shapes generated, seed %d)."
          + " The partition is a function of the key alone, whatever the state of the cluster: a partitioner that skips"
          + " partitions without a leader sends an order's events elsewhere while a broker is down, and its confirm and"
          + " its cancel land on two partitions, read by two workers in no fixed order. And it is the hash of the key's"
          + " own bytes, as every other producer of the topic computes it: one that lower-cases, strips or normalizes"
          + " the key first sends ORDER-7 elsewhere than another service's producer does. Leave the partition to Kafka's"
          + " default partitioner", partitioner.getClass().getName(), elsewhere, seed).isEmpty();
      // And the same on a machine whose default charset is not UTF-8 (Java 17 on Windows, a POSIX locale): a new JVM whose
      // file.encoding is ISO-8859-1 asks the partitioner for order ids with letters past ASCII. The key's bytes are the
      // serializer's (UTF-8), whatever the machine: a partitioner that hashes key.toString().getBytes() hashes other bytes.
      List<String> printed = partitionsInAnotherCharset();
      List<String> charsets = printed.stream().filter(l -> l.startsWith("charset ")).toList();
      List<String> otherwise = printed.stream().filter(l -> l.startsWith("elsewhere ")).map(l -> {
        String[] p = l.split(" ");
        return shown(PartitionsOf.KEYS.get(Integer.parseInt(p[1]))) + " on p" + p[2] + ", its key hashes to p" + p[3];
      }).limit(3).toList();
      assertThat(otherwise).as("TODO 1: orders the shop's partitioner (%s, set in OrderEvents.producerConfig) sends"
          + " elsewhere than the partition their key hashes to on a machine whose default charset is not UTF-8 (a new"
          + " JVM, %s), e.g. %s: the partition is murmur2 of the key's own bytes (keyBytes, as the producer's serializer"
          + " wrote them, UTF-8), not of the key re-encoded in the machine's charset (String.getBytes()), which puts an"
          + " order id with a letter past ASCII (café) on another partition on another machine. Leave the partition to"
          + " Kafka's default partitioner", partitioner.getClass().getName(), charsets, otherwise).isEmpty();
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: Share the partitions in one group")
  class Step2 {
    @Test
    @Order(1) // pure and quick: a mistake in the group is told before the tests that start services
    @DisplayName("the three workers of a topic are in one group")
    void oneGroup() throws Exception {
      Set<String> groups = IntStream.rangeClosed(1, WORKERS)
          .mapToObj(i -> Workers.groupFor("order-events", "worker-" + i)).collect(Collectors.toCollection(TreeSet::new));
      assertThat(groups).as("TODO 2: the groups of worker-1, worker-2 and worker-3: in groups of their own, each"
          + " worker reads every partition and every event is handled three times").hasSize(1);
      // Workers are numbered on: the tenth, the hundredth and any other worker of a topic is in worker-1's group
      // (the numbers past ten, a hundred and a thousand, and generated ones, seed printed).
      long workerSeed = new java.util.Random().nextLong();
      java.util.Random numbers = new java.util.Random(workerSeed);
      List<String> workerNames = new ArrayList<>();
      for (int n : List.of(9, 10, 11, 99, 100, 101, 999, 1000, 1001)) workerNames.add("worker-" + n);
      for (int i = 0; i < 12; i++) workerNames.add("worker-" + (1 + numbers.nextInt(Integer.MAX_VALUE - 1)));
      String ofFirst = Workers.groupFor("order-events", "worker-1");
      assertThat(workerNames.stream().filter(w -> !ofFirst.equals(Workers.groupFor("order-events", w)))
          .map(w -> w + " -> " + Workers.groupFor("order-events", w)).toList()).as("TODO 2: workers of order-events"
          + " whose group is not worker-1's (%s) (worker numbers generated, seed %d): every worker of a topic, the"
          + " tenth or the thousandth as much as the first, is a member of the one group, named after the topic alone."
          + " A group made from the worker's name (its number cut off by length, a group per range of workers) puts"
          + " some workers in a group of their own, where they read every partition and handle every event again",
          ofFirst, workerSeed).isEmpty();
      assertThat(Workers.groupFor("payment-events", "worker-1")).as("TODO 2: the group of the workers of another topic"
          + " (payment-events). A group is one set of workers sharing one stream: name it after its topic, so that the"
          + " workers of another topic (another service) are another group, with their own offsets and rebalances")
          .isNotEqualTo(Workers.groupFor("order-events", "worker-1"));
      List<String> topics = List.of("order-events", "order-audit", "payment-events", "order-events-v2", "orders");
      List<String> perTopic = topics.stream().map(t -> Workers.groupFor(t, "worker-1")).toList();
      assertThat(perTopic).as("TODO 2: the groups of the workers of the topics %s: each topic's workers are a group of"
          + " their own, named after the whole topic (not a part of its name, not a name shared by several topics):"
          + " workers of two topics in one group share its rebalances and its offsets", topics).doesNotHaveDuplicates();
      // Any two topic names are two topics: names that differ only in case, share a long beginning, or are long
      // (generated, seed printed) each get a group of their own.
      long seed = new java.util.Random().nextLong();
      List<String> names = Topics.distinctNames(new java.util.Random(seed), "order-events");
      // and names that differ only in their Unicode form (é as one letter or as e and an accent, the ligature ﬁ): a group
      // id is compared as it is, so a name normalized (NFC, NFKC) makes the workers of two topics one group.
      names.addAll(List.of("order-caf\u00e9", "order-cafe\u0301", "order-\ufb01", "order-fi"));
      // and topics as long as Kafka takes them (249 characters), two by two sharing all but their last: a group cut to
      // any shorter length (200, 128) makes the workers of both one group. (Kafka's group ids have no limit of their own.)
      String chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
      java.util.Random longest = new java.util.Random(seed);
      for (int i = 0; i < 2; i++) {
        String beginning = "order-events-" + longest.ints(248 - "order-events-".length(), 0, chars.length())
            .mapToObj(c -> String.valueOf(chars.charAt(c))).collect(Collectors.joining());
        names.add(beginning + "a");
        names.add(beginning + "b");
      }
      java.util.Map<String, List<String>> byGroup = names.stream().collect(Collectors.groupingBy(
          t -> Workers.groupFor(t, "worker-1"), java.util.LinkedHashMap::new, Collectors.toList()));
      assertThat(byGroup.values().stream().filter(shared -> shared.size() > 1).map(shared -> shared.stream()
          .map(OrderingTest::shown).toList()).toList()).as("TODO 2: the workers of"
          + " these topics share a group (generated names, seed %d): each topic's workers are a group of their own,"
          + " named after the whole topic as it is (Kafka's topic names and group ids are case-sensitive and may be"
          + " long): no lower-casing, cutting, Unicode normalizing (NFC, NFKC) or other tidying that puts two topics' workers in one group", seed)
          .isEmpty();
      // The group is named after the topic: its whole name is in it (a hash or a part of the name is not).
      assertThat(names.stream().filter(t -> !Workers.groupFor(t, "worker-1").contains(t))
          .map(t -> shown(t) + " -> " + shown(Workers.groupFor(t, "worker-1"))).toList()).as("TODO 2: topics whose workers' group does"
          + " not hold the topic's name (generated names, seed %d): name the group after the topic, its whole name as it"
          + " is, so that the workers of two topics are two groups and an operator reading the group list sees whose it"
          + " is. A group made from a hash of the name is one group for two names that hash alike (order-Aa and"
          + " order-BB); one made from a part of it (order-events without -events) one group for order-events and order",
          seed).isEmpty();
      // A restart or a deploy starts a new process, perhaps on another machine: the group may depend on the topic alone.
      String here = Workers.groupFor("order-events", "worker-1");
      assertThat(groupInANewProcess("order-events", "worker-1")).as("TODO 2: the group of worker-1 of order-events as"
          + " a new process (a restarted or redeployed service, on another machine, as another user, in the time zones"
          + " 26 hours apart of two machines, where today is two dates, and in a language that writes its digits"
          + " otherwise, Persian), against this process's %s: a group named after"
          + " anything but the topic (a process id, a start time, today's date, a random id made"
          + " once, the host or the user), or with a number formatted in the machine's language (String.format(\"%%d\"):"
          + " v1 is v\u06f1 in Persian), is a new group at every restart, with no committed offsets, that handles the"
          + " whole topic again from its oldest record; and the workers on two machines would be two groups, each"
          + " handling every event", here).containsOnly(here);
      // Another machine cannot be started from a test: the group may name nothing of this one either.
      String host;
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        host = "localhost";
      }
      List<String> machine = new ArrayList<>(List.of(host, host.split("\\.")[0],
          String.valueOf(ProcessHandle.current().pid()), System.getProperty("user.name")));
      // and its name as the resolver gives it (the canonical host name: a full domain name, or localhost where the
      // host's address maps back to it), another name of the same machine
      try {
        String canonical = java.net.InetAddress.getLocalHost().getCanonicalHostName();
        machine.addAll(List.of(canonical, canonical.split("\\.")[0]));
      } catch (java.net.UnknownHostException e) {
        // no name to give
      }
      machine.addAll(addresses()); // and its addresses, whichever of its networks
      // and what it runs: its Java (a JDK upgrade, a machine on another Java), its system and its architecture (a fleet of
      // amd64 and aarch64 machines)
      machine.addAll(runtime());
      for (int i = 1; i <= WORKERS; i++) {
        String group = Workers.groupFor("order-events", "worker-" + i);
        assertThat(machine.stream().filter(m -> m.length() >= 2 && group.contains(m) && !"order-events".contains(m))
            .toList()).as("TODO 2: the group %s of worker-%d names something of the machine, what it"
                + " runs (its Java, system, architecture) or the process it runs on"
                + " (%s): the workers of one topic on two machines must be one group, sharing the partitions, and a"
                + " restart anywhere must find it again. Name the group after the topic alone", group, i, machine)
            .isEmpty();
      }
      // Nor the date by a coarser clock than the day the time zones above tell apart: a group versioned by the month or
      // the year (order-events-workers-2026-12) is a new group with no committed offsets on the first of the next one.
      List<String> date = today();
      // what the group holds around the topic's name, with no separators (order-events-workers-26-12 shows 2612 too)
      String around = here.replace("order-events", "").toLowerCase(java.util.Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]", "");
      assertThat(date.stream().filter(around::contains).toList()).as("TODO 2: the group %s of the workers of"
          + " order-events names the date it was made (it holds these of today's %s): a group named after the year or"
          + " the month, not only after today, is a new group at the turn of each, with no committed offsets, that"
          + " handles the whole topic again from its oldest record. Name the group after the topic alone", here, date)
          .isEmpty();
    }

    @Test
    @Order(2) // pure and quick: the workers' consumer settings, no broker
    @DisplayName("a worker may take its time with a poll's records: it stays in its group as long as Kafka gives a poll loop (max.poll.interval.ms as given)")
    void workerMayTakeItsTime() {
      // Records that take minutes to handle cannot be waited for here: the test reads the settings each worker's consumer
      // is made with (Workers.newConsumer), as Kafka's consumer reads them, against those Clients.consumerConfig gives.
      List<Map<String, Object>> made = new ArrayList<>();
      final class Made extends RuntimeException {
        Made() { super("the test read the worker's consumer settings", null, false, false); }
      }
      Workers.newConsumer = config -> {
        made.add(new java.util.HashMap<>(config));
        throw new Made();
      };
      try {
        new Workers("order-events", 1, new Handled()).close();
      } catch (Made expected) {
        // the settings are read: nothing was started
      } finally {
        Workers.newConsumer = Clients::consumer;
      }
      assertThat(made).as("TODO 2: the consumers new Workers(topic, 1, handled) made through Workers.newConsumer, as"
          + " given").hasSize(1);
      var given = new org.apache.kafka.clients.consumer.ConsumerConfig(Clients.consumerConfig("order-events-workers",
          "worker-1"));
      int limit;
      try {
        limit = new org.apache.kafka.clients.consumer.ConsumerConfig(made.get(0))
            .getInt(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
      } catch (org.apache.kafka.common.config.ConfigException e) {
        throw new AssertionError("TODO 2: Kafka refused the workers' consumer settings: " + e.getMessage(), e);
      }
      int kafkas = given.getInt(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
      assertThat(limit).as("TODO 2: max.poll.interval.ms of a worker's consumer, how long a poll's records may take to"
          + " handle before the group throws the worker out (%d ms; Kafka gives a poll loop %d ms). A poll returns up to"
          + " 500 records: at a few ms each (a database write) a short limit throws the worker out in the middle of them,"
          + " its partitions go to another worker while it still handles them (two readers of one partition, an order's"
          + " events handled out of order), and its commit is refused, so they are handled again. And it is the only"
          + " limit that finds a worker whose poll loop is stuck (a handler that hangs): the heartbeats that keep its"
          + " session run on the consumer's own thread and go on, so a limit raised to days (Integer.MAX_VALUE) leaves"
          + " the stuck worker's partitions unread for days. Leave it as given", limit, kafkas).isEqualTo(kafkas);
      // and the session is how soon the group notices a worker that died (kill -9, a lost machine) and gives its
      // partitions to the others: as given, or Kafka's own default at most.
      int session = new org.apache.kafka.clients.consumer.ConsumerConfig(made.get(0))
          .getInt(org.apache.kafka.clients.consumer.ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      int sessionGiven = given.getInt(org.apache.kafka.clients.consumer.ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      int kafkasSession = new org.apache.kafka.clients.consumer.ConsumerConfig(Map.<String, Object>of(
          org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
          org.apache.kafka.clients.consumer.ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
          org.apache.kafka.common.serialization.StringDeserializer.class,
          org.apache.kafka.clients.consumer.ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
          org.apache.kafka.common.serialization.StringDeserializer.class))
          .getInt(org.apache.kafka.clients.consumer.ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
      assertThat(session).as("TODO 2: session.timeout.ms of a worker's consumer (%d ms; Clients.consumerConfig gives %d"
          + " ms, Kafka's default is %d ms): how long the group waits for a heartbeat before it takes a dead worker's"
          + " partitions (kill -9, a lost machine) and gives them to the others. Slow records do not stop the heartbeats"
          + " (they run on the consumer's own thread): max.poll.interval.ms gives them time. A session of minutes leaves"
          + " a crashed worker's partitions unread for minutes: leave it as given", session, sessionGiven, kafkasSession)
          .isLessThanOrEqualTo(Math.max(sessionGiven, kafkasSession));
      // and the consumer's own waits, as given (Kafka's defaults where Clients.consumerConfig sets none): each request, and
      // each of its blocking calls, may take as long as given, no less; between retries and between two auto-commits it
      // waits as long as given, no more. The tests' broker answers at once, so only the settings can tell.
      var worker = new org.apache.kafka.clients.consumer.ConsumerConfig(made.get(0));
      List<String> waits = new ArrayList<>();
      for (String name : List.of(org.apache.kafka.clients.consumer.ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG,
          org.apache.kafka.clients.consumer.ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG)) {
        long mine = ((Number) worker.values().get(name)).longValue(), as = ((Number) given.values().get(name)).longValue();
        if (mine < as) waits.add(name + "=" + mine + " (given " + as + ", no less)");
      }
      List<String> atMost = new ArrayList<>(List.of(org.apache.kafka.clients.consumer.ConsumerConfig.RETRY_BACKOFF_MS_CONFIG,
          org.apache.kafka.clients.consumer.ConsumerConfig.RETRY_BACKOFF_MAX_MS_CONFIG));
      if (worker.getBoolean(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG)) {
        atMost.add(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG);
      }
      for (String name : atMost) {
        long mine = ((Number) worker.values().get(name)).longValue(), as = ((Number) given.values().get(name)).longValue();
        if (mine > as) waits.add(name + "=" + mine + " (given " + as + ", no more)");
      }
      assertThat(waits).as("TODO 2: the waits of a worker's consumer changed from those Clients.consumerConfig gives"
          + " (Kafka's defaults): %s. Closing a worker's consumer commits what it handled within the consumer's own 30 s,"
          + " each try waiting request.timeout.ms for the coordinator's answer: a try cut to a few seconds (\"to notice a"
          + " dead broker fast\") times out every time against a loaded coordinator, and the next workers handle those"
          + " records again; default.api.timeout.ms bounds the consumer's blocking calls, and a shorter one ends the poll"
          + " loop on a TimeoutException while the broker is slow for a moment; half a minute between retries"
          + " (retry.backoff.ms, \"not to hammer the broker\") leaves no second try within close()'s 30 s; and auto-commits"
          + " minutes apart (auto.commit.interval.ms, \"close() commits anyway\") leave the group's committed offsets, and"
          + " its lag, minutes behind what the workers handled: a worker that dies has minutes of records handled again."
          + " Leave them as given", waits).isEmpty();
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
      // (told as soon as the group commits past a record nobody handled: a group started at the end of the log commits
      // its position past the backlog at its first auto-commit)
      awaitAll(handled, topic, EVENTS.size(), "TODO 2: events never handled. " + backlog + " of them were published before the"
          + " workers started: a new group reads a topic from its oldest record (auto.offset.reset=earliest, as"
          + " Clients.consumerConfig sets it); starting at the end (latest) skips every event published before the"
          + " group first committed: ");
      assertThat(handled.duplicates()).as("TODO 2: events handled more than once").isZero();
      // the backlog's partitions came in polls of many records each, whose timestamps run backwards (see publish)
      assertHandledInOffsetOrder(handled);
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
      assertThat(handled.perWorker()).as("TODO 1 or TODO 2: events handled by each of the %d workers: one key for all"
          + " puts every event on one partition and leaves the other workers idle (TODO 1); workers that are not one"
          + " group, one named after the topic alone, do not share the partitions (TODO 2)", WORKERS).hasSize(WORKERS);
    }

    @Test
    @DisplayName("a worker leaves halfway: the others take over its partitions where it stopped, nothing lost, repeated or reordered")
    void workerLeaves() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      Handled handled = new Handled();
      Pauses pauses = new Pauses();
      handled.before(pauses);
      Workers workers = start(topic, handled);
      // given: one group, so each partition has one reader (else every worker handles every event)
      assertOneReaderPerPartition(workers);
      List<OrderEvents.OrderEvent> events = EVENTS.subList(0, 900);
      // worker-1 leaves in the middle of its 20th record, with the records it took after it in hand
      pauses.hold("worker-1", 20);
      publish(topic, events, OrderingTest::keyedByOrder);
      Pauses.Held held = pauses.awaitHeld(WAIT);
      Timeline.note("worker-1 leaves in the middle of its 20th record: " + held);
      leaveHolding(pauses, held, () -> workers.stop("worker-1"));
      assertLeftTheGroup("Workers.stop(\"worker-1\")", topic, "worker-1");
      Timeline.note("worker-1 has left; the group rebalances: " + workers.held());
      awaitAll(handled, topic, events.size(), "TODO 2: events lost when worker-1 left in the middle of a record (" + held
          + "): records it had taken from the broker but not handled yet had their offsets committed already (a"
          + " commit right after poll, or records handed to another thread while the poll loop goes on and commits),"
          + " so nobody reads them again. Commit only what was handled (poll, handle every record, then poll again): ");
      // then more events, on every partition: the worker that took over one of worker-1's partitions reads them
      // only after whatever it starts the partition from, so once they are handled, anything handled again is counted
      List<OrderEvents.OrderEvent> more = EVENTS.subList(events.size(), events.size() + 200);
      publish(topic, more, OrderingTest::keyedByOrder);
      awaitAll(handled, topic, events.size() + more.size(), "TODO 2: events published after worker-1 left, never"
          + " handled: ");
      tell(handled);
      assertThat(handled.duplicates()).as("TODO 2: events handled a second time after worker-1 left (e.g. %s): the"
          + " worker that takes over a partition should resume at the group's committed offset; starting the"
          + " partition over hands an order's confirm again after its cancel", handled.redelivered()).isZero();
      assertHandledInOffsetOrder(handled);
      assertThat(handled.invertedOrders()).as("TODO 2: orders handled out of order across the rebalance, e.g. %s",
          handled.examples()).isZero();
    }
    @Test
    @DisplayName("stopping a worker, or closing the workers, returns only once each has finished the record in hand and left: a restart never overlaps the workers it replaces")
    void stopAndCloseWaitForTheWorkers() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      Handled handled = new Handled();
      Pauses pauses = new Pauses();
      handled.before(pauses);
      // given: a group coordinator that takes 30 s to answer (as long as KafkaConsumer's close() waits by default), as a
      // broker under heavy load does: a worker's consumer closed with a shorter limit gives up the commit of what it
      // handled before the answer comes (no real wait: see the fault)
      Workers workers;
      Workers.newConsumer = config -> new workbook.faults.SlowCoordinatorAnswers<>(config, COORDINATOR_ANSWERS);
      try {
        workers = start(topic, handled);
      } finally {
        Workers.newConsumer = Clients::consumer;
      }
      // given: worker-2 in the middle of its first record when it alone is stopped (a scale-down)
      pauses.hold("worker-2", 1);
      publish(topic, EVENTS.subList(0, 300), OrderingTest::keyedByOrder);
      Pauses.Held held = pauses.awaitHeld(WAIT);
      assertThat(returnsFirst(() -> workers.stop("worker-2"), pauses, "worker-2 is stopped while " + held))
          .as("TODO 2: Workers.stop(\"worker-2\") returned while worker-2 was still in the middle of a record (%s)."
              + " stop() should wait for the worker's thread (join it as the given code does, join(10_000); a join(100) gives up after a moment): the"
              + " worker finishes the records in hand, and"
              + " closing its consumer commits what it handled and leaves the group. Returning first lets the caller"
              + " go on (start another worker, report the scale-down done) while this one still handles and commits",
              held).isFalse();
      assertCommittedWhatItHandled("Workers.stop(\"worker-2\")", topic, pauses, "worker-2");
      assertLeftTheGroup("Workers.stop(\"worker-2\")", topic, "worker-2");
      // given: worker-1 in the middle of its first record when all the workers are closed (a deploy, a restart), with
      // the records after it in the same poll: once worker-2's events are handled, each partition's next events are sent
      // in one batch, which a fetch returns whole
      awaitAll(handled, topic, 300, "TODO 2: events lost when worker-2 was stopped in the middle of a record: ");
      pauses.hold("worker-1", 1);
      publishInOneBatch(topic, EVENTS.subList(300, 600));
      held = pauses.awaitHeld(WAIT);
      assertThat(returnsFirst(workers::close, pauses, "the workers are closed while " + held))
          .as("TODO 2: Workers.close() returned while a worker was still in the middle of a record (%s). close()"
              + " should wait for each worker's thread (join it as the given code does, join(10_000); a join(100) gives up after a moment): the worker"
              + " finishes the records in hand, and closing"
              + " its consumer commits what it handled and leaves the group. Returning first lets the workers that"
              + " replace these join while they still handle and commit: two readers of one partition at once, and"
              + " commits that land after the new workers started from the old ones", held).isFalse();
      assertCommittedWhatItHandled("Workers.close()", topic, pauses, "worker-1", "worker-3");
      assertCommittedNothingUnhandled("Workers.close()", topic, handled, held);
      assertLeftTheGroup("Workers.close()", topic, "worker-1", "worker-3");
    }

    @Test
    @Order(Order.DEFAULT + 1) // starts workers of its own: after the step's other tests, so a mistake they catch costs nothing more
    @DisplayName("a worker stopped, or closed, while its poll is returning records handles every one of them before it leaves: none is committed unhandled")
    void stoppedWhileAPollReturns() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      Handled handled = new Handled();
      // given: a poll that has taken its records from the broker (the consumer's position is past them) and is about to
      // return them when the worker is told to stop: held there by a latch until stop() or close() waits for the worker
      PollGate gate = new PollGate();
      Workers workers;
      Workers.newConsumer = config -> new GatedConsumer(config, gate);
      try {
        workers = start(topic, handled);
      } finally {
        Workers.newConsumer = Clients::consumer;
      }
      for (String worker : List.of("worker-2", "worker-1")) {
        gate.arm(worker);
        publishInOneBatch(topic, worker.equals("worker-2") ? EVENTS.subList(0, 300) : EVENTS.subList(300, 600));
        Map<Integer, Long> returning = gate.awaitReturning(WAIT);
        String what = worker.equals("worker-2") ? "Workers.stop(\"worker-2\")" : "Workers.close()";
        Timeline.note(worker + "'s poll is returning " + returning + " (the last offset of each partition) when " + what
            + " is called");
        Thread stopper = new Thread(worker.equals("worker-2") ? () -> workers.stop("worker-2") : workers::close, "stopper");
        stopper.start();
        // released once the stop waits for the worker (it has told it to stop), bounded
        Poll.until(() -> Set.of(Thread.State.TERMINATED, Thread.State.WAITING, Thread.State.TIMED_WAITING)
            .contains(stopper.getState()), WAIT, () -> what + " neither returned nor waited");
        gate.release();
        stopper.join(WAIT.toMillis());
        List<String> dropped = returning.entrySet().stream().filter(r -> handled.firstUnhandled(r.getKey()) <= r.getValue())
            .map(r -> "p" + r.getKey() + "@" + handled.firstUnhandled(r.getKey()) + " (the poll returned up to p" + r.getKey()
                + "@" + r.getValue() + ")").toList();
        assertThat(dropped).as("TODO 2: records of %s's last poll that it never handled before %s returned, e.g. %s."
            + " The poll had taken them from the broker (the consumer's position is past them) when the worker was told to"
            + " stop: closing its consumer commits that position, so a loop that drops the poll's records because it is"
            + " stopping (if (!running) break; right after poll) loses them for good. Handle every record a poll returned,"
            + " then stop", worker, what, dropped).isEmpty();
      }
    }
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: Share the partitions in one group, in parallel")
  class Step2InParallel {
    @Test
    @DisplayName("the workers handle their partitions in parallel: while one is in the middle of a record, the others go on with theirs")
    void workersHandleInParallel() throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      Handled handled = new Handled();
      Pauses pauses = new Pauses();
      handled.before(pauses);
      Workers workers = start(topic, handled);
      assertOneReaderPerPartition(workers);
      // given: worker-1 held in the middle of its first record (a slow database write), as long as the test says
      pauses.hold("worker-1", 1);
      publish(topic, EVENTS.subList(0, 300), OrderingTest::keyedByOrder);
      Pauses.Held held = pauses.awaitHeld(WAIT);
      try {
        // then: the events of the other workers' partitions, those published before and while it is held, are handled
        Set<Integer> theirs = new TreeSet<>();
        workers.held().forEach((w, p) -> { if (!w.equals("worker-1")) theirs.addAll(p); });
        publish(topic, EVENTS.subList(300, 600), OrderingTest::keyedByOrder);
        long expected = EVENTS.subList(0, 600).stream().filter(e -> theirs.contains(defaultPartition(e.orderId(),
            PARTITIONS))).count();
        Timeline.note("worker-1 is held in the middle of a record (" + held + "); the others hold " + theirs);
        // Told as soon as a thread waits for a lock (a monitor, a ReentrantLock) that the held worker's thread holds: it
        // cannot go on until the test lets worker-1 go, whatever it waits for; otherwise once the others handled theirs.
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long holder = pauses.heldOn().getId();
        List<String> behind = new java.util.concurrent.CopyOnWriteArrayList<>();
        Poll.until(() -> {
          if (handled.perWorker().entrySet().stream().filter(e -> !e.getKey().equals("worker-1"))
              .mapToInt(Map.Entry::getValue).sum() >= expected) return true;
          for (var t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getLockOwnerId() == holder && t.getThreadId() != holder && behind.size() < 3) {
              behind.add(t.getThreadName() + " " + t.getThreadState() + " on " + t.getLockName());
            }
          }
          return !behind.isEmpty();
        }, WAIT, () -> "TODO 2: while worker-1 was held in the middle"
            + " of a record (" + held + "), the other workers, holding " + theirs + ", handled "
            + handled.perWorker() + " of the " + expected + " events of their partitions: a worker handles its"
            + " partitions while the others handle theirs, in parallel. A lock shared by the workers (synchronized on"
            + " a class, a static lock, one executor thread for all) makes them take turns: one slow record holds up"
            + " every partition, and the parallelism the partitions give is gone");
        assertThat(behind).as("TODO 2: threads waiting for a lock that worker-1's thread holds while it is held in the"
            + " middle of a record (%s), before the other workers, holding %s, handled the %d events of their"
            + " partitions: a worker handles its partitions while the others handle theirs, in parallel. A lock shared by"
            + " the workers (synchronized on a class, a static lock) held while handling makes them take turns: one slow"
            + " record holds up every partition, and the parallelism the partitions give is gone", held, theirs, expected)
            .isEmpty();
      } finally {
        pauses.release();
      }
    }
  }

  /** Holds an armed worker's next poll that returns records, once they are taken, until released (latches, no sleep). */
  static final class PollGate {
    private String armed;
    private CountDownLatch returning = new CountDownLatch(1);
    private CountDownLatch release = new CountDownLatch(1);
    private volatile Map<Integer, Long> last = Map.of();

    synchronized void arm(String worker) {
      armed = worker;
      returning = new CountDownLatch(1);
      release = new CountDownLatch(1);
    }

    void returning(String worker, org.apache.kafka.clients.consumer.ConsumerRecords<String, String> records) {
      CountDownLatch wait;
      synchronized (this) {
        if (records.isEmpty() || !worker.equals(armed)) return;
        armed = null;
        Map<Integer, Long> lastOffsets = new TreeMap<>();
        for (var tp : records.partitions()) lastOffsets.put(tp.partition(), records.records(tp).get(records.records(tp).size() - 1).offset());
        last = lastOffsets;
        wait = release;
        returning.countDown();
      }
      try {
        wait.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** The last offset of each partition in the held poll. */
    Map<Integer, Long> awaitReturning(Duration within) throws InterruptedException {
      CountDownLatch r;
      synchronized (this) { r = returning; }
      assertThat(r.await(within.toMillis(), TimeUnit.MILLISECONDS)).as("TODO 2: the worker never polled a record: does it"
          + " hold a partition, and poll?").isTrue();
      return last;
    }

    synchronized void release() { release.countDown(); }
  }

  /** A real consumer whose poll, once it has taken its records, waits at the gate before it returns them. */
  static final class GatedConsumer extends org.apache.kafka.clients.consumer.KafkaConsumer<String, String> {
    private final PollGate gate;
    private final String name;

    GatedConsumer(Map<String, Object> config, PollGate gate) {
      super(config);
      this.gate = gate;
      this.name = String.valueOf(config.get(org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG));
    }

    @Override
    public org.apache.kafka.clients.consumer.ConsumerRecords<String, String> poll(Duration timeout) {
      var records = super.poll(timeout);
      gate.returning(name, records);
      return records;
    }
  }

  /**
   * When the workers are closed, no partition's committed position is past a record nobody handled: a worker told to
   * stop in the middle of a poll's records still handles the rest of them, as closing its consumer commits past them.
   */
  static void assertCommittedNothingUnhandled(String what, String topic, Handled handled, Pauses.Held held)
      throws Exception {
    String group = Workers.groupFor(topic, "worker-1");
    List<String> past = new ArrayList<>();
    try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        Broker.bootstrapServers()))) {
      admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
          .forEach((tp, committed) -> {
            long first = handled.firstUnhandled(tp.partition());
            if (tp.topic().equals(topic) && committed != null && committed.offset() > first) {
              past.add("p" + tp.partition() + " committed at " + committed.offset() + ", p" + tp.partition() + "@" + first
                  + " never handled");
            }
          });
    }
    assertThat(past).as("TODO 2: partitions committed past records no worker handled when %s returned (%s, with the"
        + " records after it in the same poll): a worker told to stop in the middle of a poll's records still handles"
        + " the rest of them, because closing its consumer commits its position past them. A loop that stops there"
        + " (for (...) { if (!running) break; ... }) loses them for good: no worker reads them again", what, held)
        .isEmpty();
  }

  /** Publishes as the shop does, each partition's events in one batch (held until the flush), which a fetch returns whole. */
  static void publishInOneBatch(String topic, List<OrderEvents.OrderEvent> events) {
    Map<String, Object> config = new java.util.HashMap<>(OrderEvents.producerConfig());
    config.put(org.apache.kafka.clients.producer.ProducerConfig.LINGER_MS_CONFIG, 10_000); // within delivery.timeout.ms; flush() sends at once
    config.put(org.apache.kafka.clients.producer.ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20);
    try (KafkaProducer<String, String> producer = Clients.producer(config)) {
      for (OrderEvents.OrderEvent e : events) producer.send(keyedByOrder(topic, e));
      producer.flush();
    }
    Timeline.note("shop published " + events.size() + " events, each partition's in one batch");
  }

  /**
   * When stop() or close() has returned, the broker has acknowledged to each stopped worker the commit of every
   * record it handled: for each partition, the next offset after the last record it handled (the consumer's
   * interceptor hears of a commit only once the broker answered it).
   */
  static void assertCommittedWhatItHandled(String what, String topic, Pauses pauses, String... workers) {
    String group = Workers.groupFor(topic, "worker-1");
    for (String worker : workers) {
      Map<Integer, Long> acknowledged = new TreeMap<>();
      for (var e : workbook.story.Story.entries()) {
        if (e.kind() == workbook.story.Story.Kind.COMMITTED && worker.equals(e.actor()) && group.equals(e.group())
            && topic.equals(e.topic())) {
          acknowledged.merge(e.partition(), e.offset(), Math::max);
        }
      }
      Map<Integer, Long> handledUpTo = new TreeMap<>();
      pauses.lastStarted(worker).forEach((p, last) -> handledUpTo.put(p, last + 1));
      List<String> unacknowledged = handledUpTo.entrySet().stream()
          .filter(h -> acknowledged.getOrDefault(h.getKey(), 0L) < h.getValue())
          .map(h -> "p" + h.getKey() + ": handled up to " + h.getValue() + ", acknowledged "
              + acknowledged.getOrDefault(h.getKey(), 0L)).toList();
      assertThat(unacknowledged).as("TODO 2: what %s had committed, as the broker acknowledged it to %s, when %s returned:"
          + " the committed position of each partition it handled is the next record to read. Closing the consumer"
          + " commits what was handled and waits for the broker's answer, which here takes %d s (a broker under heavy load;"
          + " as long as KafkaConsumer's close() waits by default): a close with any shorter limit (close(Duration.ofSeconds(5)),"
          + " close(Duration.ofMillis(100)), close(Duration.ZERO)), or a stop that returns"
          + " before the consumer is closed, gives that commit up, and whoever takes the partitions over handles those"
          + " records again", worker, worker, what, COORDINATOR_ANSWERS.toSeconds()).isEmpty();
    }
  }

  /**
   * When stop() or close() has returned, each stopped worker has left the group: the broker lists it among the
   * group's members no more (closing a consumer sends LeaveGroup and waits for the answer), so the group rebalances
   * at once and the others take its partitions over.
   */
  static void assertLeftTheGroup(String what, String topic, String... workers) throws Exception {
    String group = Workers.groupFor(topic, "worker-1");
    try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        Broker.bootstrapServers()))) {
      var members = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group).members();
      List<String> stayed = members.stream().filter(m -> List.of(workers).contains(m.clientId()))
          .map(m -> m.clientId() + (m.groupInstanceId().isPresent() ? " (group.instance.id " + m.groupInstanceId().get()
              + ")" : "")).toList();
      assertThat(stayed).as("TODO 2: workers still members of the group %s when %s returned: a worker that stops leaves"
          + " the group (closing its consumer sends the group a LeaveGroup and waits for the answer), so that the"
          + " group rebalances at once and the others take its partitions over where it stopped. A member that stays"
          + " holds its partitions, unread by anyone, until its session times out: a static member (group.instance.id)"
          + " does not leave when closed, nor does a consumer closed with no time to hear the answer", group, what)
          .isEmpty();
    }
  }

  /**
   * Runs {@code action} on a thread of its own while a worker is held in the middle of a record; says whether it
   * returned before the worker was released: the worker is released once the action returned, or after half a second.
   */
  static boolean returnsFirst(Runnable action, Pauses pauses, String what) throws InterruptedException {
    Thread thread = new Thread(action, "stopper");
    thread.start();
    Poll.until(() -> Set.of(Thread.State.TERMINATED, Thread.State.WAITING, Thread.State.TIMED_WAITING)
        .contains(thread.getState()), WAIT, () -> what + ": it neither returned nor waited");
    // The worker stays held until the action returns, bounded by half a second: an action that waits only a moment
    // (a join(100)) returns while the worker is still in the middle of its record.
    if (thread.getState() != Thread.State.TERMINATED) thread.join(500);
    boolean first = thread.getState() == Thread.State.TERMINATED;
    Timeline.note(what + (first ? ": it returned while the worker was still held" : ""));
    pauses.release();
    thread.join(WAIT.toMillis());
    return first;
  }

  @Nested
  @Tag("step2")
  @DisplayName("Step 2: under generated faults")
  class Step2UnderFaults {
    @Test
    @DisplayName("workers dying with a record in hand, leaving, joining and all restarting, generated: nothing lost, each partition and each order in order, lag 0")
    void workersUnderFaults() throws Exception {
      // Each schedule kills a worker in the middle of a record (after the poll that committed its last batch, before the
      // poll that commits this one), lets one leave with records in hand, adds one and restarts them all, in an order
      // and at records its seed picks (printed; FAULTS_SEED=n plays one again, FAULTS_SCHEDULES=n plays more). No
      // sleeps: a fault happens at a worker's n-th record.
      Schedules.check("lab 09's workers under faults", 1, Fault::schedule, schedule -> underFaults(schedule));
    }

    void underFaults(List<Fault> schedule) throws Exception {
      String topic = Topics.fresh("order-events", PARTITIONS);
      String group = Workers.groupFor(topic, "worker-1");
      List<OrderEvents.OrderEvent> events = OrderEvents.scenario(500, 7);
      Handled handled = new Handled();
      Pauses pauses = new Pauses();
      handled.before(pauses);
      List<Member> live = new ArrayList<>();
      int started = 0;
      int published = 0;
      try {
        for (int i = 0; i < WORKERS; i++) live.add(new Member(topic, handled, ++started));
        for (Fault f : schedule) {
          settle(live);
          List<OrderEvents.OrderEvent> chunk = events.subList(published, published + f.events());
          switch (f.kind()) {
            case CRASH, LEAVE -> {
              Member m = live.get(f.worker() % live.size());
              pauses.hold(m.name(), f.nth());
              publish(topic, chunk, OrderingTest::keyedByOrder);
              Pauses.Held held = pauses.awaitHeld(WAIT);
              live.remove(m);
              if (f.kind() == Fault.Kind.LEAVE) {
                Timeline.note(m.name() + " leaves in the middle of its " + Fault.nth(f.nth()) + " record: " + held);
                leaveHolding(pauses, held, m.workers()::close);
              } else {
                Timeline.note(m.name() + " dies in the middle of its " + Fault.nth(f.nth()) + " record: " + held);
                Member restarted = new Member(topic, handled, ++started);
                live.add(restarted);
                if (!held.onItsPollingThread()) {
                  // its poll loop goes on without the record: let it take part in the rebalance the restarted worker
                  // starts (and commit there) before it dies; bounded, as a loop that waits for its handler cannot
                  awaitQuietly(() -> settled(live, m));
                }
                // The broker gives up on a dead member when its session times out, and rebalances. (The admin API
                // removes every member at once: the live ones rejoin at once and get again what they had not
                // committed.)
                kickEveryone(group);
                pauses.kill(m.name());
                pauses.release();
                m.workers().close();
              }
            }
            case JOIN -> {
              live.add(new Member(topic, handled, ++started));
              publish(topic, chunk, OrderingTest::keyedByOrder);
            }
            case RESTART -> {
              for (Member m : live) m.workers().close();
              live.clear();
              for (int i = 0; i < WORKERS; i++) live.add(new Member(topic, handled, ++started));
              publish(topic, chunk, OrderingTest::keyedByOrder);
            }
          }
          published += chunk.size();
          awaitAll(handled, topic, published, "TODO 2: events lost after \"" + f + "\": the offsets of records a worker had"
              + " taken but not handled were committed (a commit right after poll, records handed to another thread"
              + " while the poll loop goes on and commits, or a poll loop that, told to stop, drops the rest of its"
              + " poll while closing the consumer commits past it), so when it died or left with them in hand nobody read them"
              + " again. Commit only what was handled: handle every record a poll returned, on the polling thread, then"
              + " poll again: ");
          assertHandledInOffsetOrder(handled);
          assertThat(handled.invertedOrders()).as("TODO 2: orders handled out of order after \"%s\", e.g. %s", f,
              handled.examples()).isZero();
        }
      } finally {
        for (Member m : live) m.workers().close();
      }
      tell(handled);
      Timeline.note("events handled again after a worker died (allowed: it had not committed them): " + handled.duplicates());
      assertThat(Topics.lag(group, topic)).as("TODO 2: the group's lag once every event was handled and the workers"
          + " closed. The committed position of a partition is the next record to read, the one after the last one"
          + " handled: a commit of the last handled record's own offset leaves a lag of one per partition, and the next"
          + " reader handles that record again").isZero();
    }
  }

  /** A worker of a set of Workers of its own, named w3-worker-1 for the third started, so that restarts are told apart. */
  record Member(String name, Workers workers) {
    Member(String topic, Handled handled, int n) {
      this("w" + n + "-worker-1", new Workers(topic, 1, handled.named("w" + n + "-")));
    }

    Set<Integer> held() {
      return workers.held().getOrDefault("worker-1", Set.of());
    }
  }

  /** One fault of a schedule, with the events published around it. */
  record Fault(Kind kind, int worker, int nth, int events) {
    enum Kind { CRASH, LEAVE, JOIN, RESTART }

    @Override public String toString() {
      return switch (kind) {
        case CRASH -> "a worker dies in the middle of its " + nth(nth) + " record";
        case LEAVE -> "a worker leaves in the middle of its " + nth(nth) + " record";
        case JOIN -> "a worker joins";
        case RESTART -> "every worker restarts";
      };
    }

    static String nth(int n) {
      return n + (n % 10 == 1 && n != 11 ? "st" : n % 10 == 2 && n != 12 ? "nd" : n % 10 == 3 && n != 13 ? "rd" : "th");
    }

    /** Every kind once, and one more death or leave, in an order and at records the seed picks. */
    static List<Fault> schedule(Random random) {
      List<Kind> kinds = new ArrayList<>(List.of(Kind.values()));
      kinds.add(random.nextBoolean() ? Kind.CRASH : Kind.LEAVE);
      Collections.shuffle(kinds, random);
      return kinds.stream().map(k -> new Fault(k, random.nextInt(4), 1 + random.nextInt(8), 120 + random.nextInt(60)))
          .toList();
    }
  }

  /** Every partition held once, by the live workers, each holding one at least (a dying one may hold some too). */
  static boolean settled(List<Member> live, Member dying) {
    List<Set<Integer>> held = live.stream().map(Member::held).toList();
    return held.stream().allMatch(p -> !p.isEmpty())
        && held.stream().mapToInt(Set::size).sum() + (dying == null ? 0 : dying.held().size()) == PARTITIONS;
  }

  /** Waits (bounded) until the live workers hold every partition once, each at least one. */
  static void settle(List<Member> live) {
    Poll.until(() -> settled(live, null), WAIT, () -> "TODO 2: the workers did not settle on the " + PARTITIONS
        + " partitions, one reader each: they hold " + live.stream().map(m -> m.name() + " " + m.held()).toList());
  }

  static void awaitQuietly(java.util.function.BooleanSupplier condition) {
    try {
      Poll.until(condition, Duration.ofSeconds(5), () -> "");
    } catch (AssertionError notYet) {
      // bounded: go on
    }
  }

  /** Removes every member from the group, as the broker removes a member whose session timed out. */
  static void kickEveryone(String group) throws Exception {
    try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        Broker.bootstrapServers()))) {
      admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions()).all()
          .get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A worker leaves (a deploy, a scale-down) while held in the middle of a record. Handled on its
   * polling thread, it finishes its batch, then leaves. Handed to another thread, the poll loop went
   * on without it: the worker leaves with that record, and those queued behind it, in hand.
   */
  static void leaveHolding(Pauses pauses, Pauses.Held held, Runnable stop) throws InterruptedException {
    if (held.onItsPollingThread()) {
      // told to stop while it holds the record: released once the stop waits for it (bounded), so that a worker that
      // drops the rest of its poll when told to stop shows, whoever is faster
      Thread stopper = new Thread(stop, "stopper");
      stopper.start();
      Poll.until(() -> stopper.getState() != Thread.State.NEW && stopper.getState() != Thread.State.RUNNABLE
          && stopper.getState() != Thread.State.BLOCKED, WAIT, () -> "the stop neither waited nor returned");
      pauses.release();
      stopper.join();
      return;
    }
    Thread stopper = new Thread(stop, "stopper");
    stopper.start();
    stopper.join(5_000); // bounded: a worker that waits for its handler thread cannot leave until it is released
    pauses.release();
    stopper.join();
  }

  /**
   * Holds a worker in the middle of its n-th record until the test releases it (a latch, no sleep),
   * and makes a dead worker handle nothing more: each record it starts ends in a Crash, as after a kill -9.
   */
  static final class Pauses implements Handled.Before {
    /** Where a worker is held, and whether on its own polling thread (the given Workers names it after the worker). */
    record Held(String worker, int partition, long offset, boolean onItsPollingThread) {
      @Override public String toString() {
        return worker + " holds p" + partition + "@" + offset + (onItsPollingThread ? " on its polling thread"
            : " on another thread than its polling thread");
      }
    }

    private final Set<String> dead = ConcurrentHashMap.newKeySet();
    private final Map<String, Map<Integer, Long>> lastStarted = new ConcurrentHashMap<>();
    private String target;
    private int left;
    private CountDownLatch reached = new CountDownLatch(1);
    private CountDownLatch release = new CountDownLatch(1);
    private volatile Held held;
    private volatile Thread heldOn;

    /** The worker's n-th record from now (1 = the next) holds it until release(). */
    synchronized void hold(String worker, int nth) {
      target = worker;
      left = nth;
      held = null;
      reached = new CountDownLatch(1);
      release = new CountDownLatch(1);
    }

    @Override public void handling(String worker, ConsumerRecord<String, String> record) {
      if (dead.contains(worker)) throw new Crash(worker + " is dead and handles nothing more");
      lastStarted.computeIfAbsent(worker, w -> new ConcurrentHashMap<>()).merge(record.partition(), record.offset(), Math::max);
      CountDownLatch wait;
      synchronized (this) {
        if (!worker.equals(target) || --left > 0) return;
        target = null;
        String own = worker.substring(worker.lastIndexOf("worker-"));
        held = new Held(worker, record.partition(), record.offset(), Thread.currentThread().getName().equals(own));
        heldOn = Thread.currentThread();
        wait = release;
        reached.countDown();
      }
      try {
        wait.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Crash(worker + " was interrupted in the middle of p" + record.partition() + "@" + record.offset());
      }
      if (dead.contains(worker)) throw new Crash(worker + " dies in the middle of p" + record.partition() + "@" + record.offset());
    }

    Held awaitHeld(Duration within) throws InterruptedException {
      CountDownLatch r;
      String who;
      synchronized (this) {
        r = reached;
        who = target;
      }
      assertThat(r.await(within.toMillis(), TimeUnit.MILLISECONDS)).as("TODO 2: %s never got to the record it was to"
          + " be held at: does it hold a partition, and handle what it polls?", who).isTrue();
      return held;
    }

    void kill(String worker) { dead.add(worker); }

    /** The thread held in the middle of a record (once awaitHeld returned). */
    Thread heldOn() { return heldOn; }

    /** For each partition, the offset of the last record {@code worker} started to handle. */
    Map<Integer, Long> lastStarted(String worker) { return Map.copyOf(lastStarted.getOrDefault(worker, Map.of())); }

    synchronized void release() { release.countDown(); }
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
        + " pool, a parallel stream, a thread per record), sorted them by something else than their offset (their"
        + " timestamps: the tests' shop stamps each event a millisecond earlier than the one before, as a clock that"
        + " goes back or two instances' clocks apart do), or went on handling it after the group gave it to"
        + " another: handle a partition's records one at a time, in the order poll returned them",
        handled.partitionDisorderExamples()).isZero();
  }

  // ---- helpers ----

  /**
   * Today's date as a version a name may carry: the year (2026), the year and the month either way round with two
   * digits each (2612, 1226) or four for the year (122026), the ISO week (26w50), and the month's name (december). A
   * name that holds one of these is another name next month, or next year.
   */
  static List<String> today() {
    java.time.LocalDate today = java.time.LocalDate.now();
    String yyyy = String.valueOf(today.getYear()), yy = yyyy.substring(yyyy.length() - 2);
    String mm = String.format(java.util.Locale.ROOT, "%02d", today.getMonthValue());
    String ww = String.format(java.util.Locale.ROOT, "%02d", today.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    return List.of(yyyy, yy + mm, mm + yy, mm + yyyy, yy + "w" + ww, today.getMonth().name().toLowerCase(java.util.Locale.ROOT));
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
    List<String> addresses = new ArrayList<>();
    try {
      addresses.add(java.net.InetAddress.getLocalHost().getHostAddress());
    } catch (java.net.UnknownHostException e) {
      // its interfaces below
    }
    for (var nic : Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      for (var address : Collections.list(nic.getInetAddresses())) {
        String text = address.getHostAddress();
        addresses.add(text.contains("%") ? text.substring(0, text.indexOf('%')) : text);
      }
    }
    return addresses.stream().distinct().toList();
  }

  /** What {@code Workers.groupFor(topic, worker)} says in a new JVM, on another machine's name, as another user. */
  static List<String> groupInANewProcess(String topic, String worker) throws Exception {
    List<String> classPath = new ArrayList<>();
    for (ClassLoader l = Workers.class.getClassLoader(); l != null; l = l.getParent()) {
      if (l instanceof java.net.URLClassLoader u) {
        for (java.net.URL url : u.getURLs()) classPath.add(java.nio.file.Path.of(url.toURI()).toString());
      }
    }
    classPath.addAll(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
    classPath.replaceAll(entry -> java.nio.file.Path.of(entry).toAbsolutePath().toString());
    String jvm = ProcessHandle.current().info().command().orElse("java");
    java.nio.file.Path elsewhere = java.nio.file.Files.createTempDirectory("workbook-elsewhere-");
    // another machine's user, cores and language (Turkish, where "i".toUpperCase() is not "I")
    ProcessBuilder builder = new ProcessBuilder(jvm, "-Duser.name=someone-else", "-XX:+IgnoreUnrecognizedVMOptions",
        "-XX:ActiveProcessorCount=" + (Runtime.getRuntime().availableProcessors() + 3), "-Duser.language=tr",
        "-Duser.country=TR", "-cp",
        String.join(java.io.File.pathSeparator, classPath), GroupOf.class.getName(), topic, worker)
        .redirectErrorStream(true).directory(elsewhere.toFile());
    builder.environment().putAll(Map.of("HOSTNAME", "another-machine", "HOST", "another-machine",
        "COMPUTERNAME", "another-machine", "USER", "someone-else", "USERNAME", "someone-else"));
    try {
      Process process = builder.start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("a new JVM running GroupOf").isTrue();
      assertThat(process.exitValue()).as("a new JVM running GroupOf %s %s, said: %s", topic, worker, out).isZero();
      List<String> groups = out.lines().filter(l -> l.startsWith("group: ")).map(l -> l.substring("group: ".length()))
          .toList();
      assertThat(groups).as("the groups a new JVM running GroupOf printed, said: %s", out).hasSize(4);
      return groups;
    } finally {
      workbook.files.Folders.delete(elsewhere); // nothing of a run outlives it
    }
  }

  /** What PartitionsOf prints in a new JVM whose default charset is ISO-8859-1. */
  static List<String> partitionsInAnotherCharset() throws Exception {
    List<String> classPath = new ArrayList<>();
    for (ClassLoader l = Workers.class.getClassLoader(); l != null; l = l.getParent()) {
      if (l instanceof java.net.URLClassLoader u) {
        for (java.net.URL url : u.getURLs()) classPath.add(java.nio.file.Path.of(url.toURI()).toString());
      }
    }
    classPath.addAll(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
    classPath.replaceAll(entry -> java.nio.file.Path.of(entry).toAbsolutePath().toString());
    String jvm = ProcessHandle.current().info().command().orElse("java");
    Process process = new ProcessBuilder(jvm, "-Dfile.encoding=ISO-8859-1", "-cp",
        String.join(java.io.File.pathSeparator, classPath), PartitionsOf.class.getName()).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1).strip();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("a new JVM running PartitionsOf").isTrue();
    assertThat(process.exitValue()).as("a new JVM running PartitionsOf, said: %s", out).isZero();
    return out.lines().toList();
  }

  /**
   * Asks the shop's partitioner (OrderEvents.producerConfig) for the partition of order ids with letters past ASCII, on a
   * topic of six partitions, every leader up; prints "elsewhere i got expected" for each key not on its hash's partition.
   */
  public static final class PartitionsOf {
    static final List<String> KEYS = List.of("order-caf\u00e9-1", "order-cafe\u0301-2", "order-\ufb01-3",
        "order-\uff14\uff12-4", "order-\u00f8rsted-5", "order-m\u00fcller-6", "order-\u00c5se-7", "order-\u00df-8",
        "order-\u00e7a-9", "order-na\u00efve-10", "order-\u00f1and\u00fa-11", "order-\u0142\u00f3d\u017a-12",
        "order-\u65e5\u672c-13", "order-\u0434\u043e\u043c-14", "order-\u20ac-15", "order-\u00e9t\u00e9-16");

    public static void main(String[] args) {
      System.out.println("charset " + java.nio.charset.Charset.defaultCharset());
      var partitioner = new org.apache.kafka.clients.producer.ProducerConfig(OrderEvents.producerConfig())
          .getConfiguredInstance(org.apache.kafka.clients.producer.ProducerConfig.PARTITIONER_CLASS_CONFIG,
              org.apache.kafka.clients.producer.Partitioner.class);
      if (partitioner == null) return;
      var node = new org.apache.kafka.common.Node(0, "localhost", 9092);
      List<org.apache.kafka.common.PartitionInfo> infos = IntStream.range(0, PARTITIONS).mapToObj(p ->
          new org.apache.kafka.common.PartitionInfo("order-events", p, node, new org.apache.kafka.common.Node[] {node},
              new org.apache.kafka.common.Node[] {node})).toList();
      var cluster = new org.apache.kafka.common.Cluster("workbook", List.of(node), infos, Set.of(), Set.of());
      try {
        for (int i = 0; i < KEYS.size(); i++) {
          String key = KEYS.get(i);
          String value = Json.write(new OrderEvents.OrderEvent("event-1", "order.confirmed", key, "customer-001", 1));
          int got = partitioner.partition("order-events", key, key.getBytes(StandardCharsets.UTF_8), value,
              value.getBytes(StandardCharsets.UTF_8), cluster);
          int expected = defaultPartition(key, PARTITIONS);
          if (got != expected) System.out.println("elsewhere " + i + " " + got + " " + expected);
        }
      } finally {
        partitioner.close();
      }
    }
  }

  /**
   * Prints the group of a worker of a topic (run in a new JVM by {@link #groupInANewProcess}): in its own time zone,
   * then as on machines in UTC+14 and UTC-12, where the date is never the same, then in a language that writes its
   * digits otherwise (Persian).
   */
  public static final class GroupOf {
    public static void main(String[] args) {
      System.out.println("group: " + Workers.groupFor(args[0], args[1]));
      for (String zone : List.of("Pacific/Kiritimati", "Etc/GMT+12")) {
        java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone(zone));
        System.out.println("group: " + Workers.groupFor(args[0], args[1]));
      }
      // and as on a machine whose language writes its digits otherwise (Persian, Arabic, Bengali, ...), where a number
      // formatted in the machine's language (String.format("%d"), NumberFormat) is another text
      java.util.Locale.setDefault(java.util.Locale.forLanguageTag("fa-IR"));
      System.out.println("group: " + Workers.groupFor(args[0], args[1]));
    }
  }

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
      // The shop's clocks are not the partition's order: each event is stamped a millisecond earlier than the one
      // sent before it (a clock stepped back, two instances' clocks apart), so only the offset tells the order.
      long clock = System.currentTimeMillis();
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (OrderEvents.OrderEvent e : events) {
        ProducerRecord<String, String> r = toRecord.apply(topic, e);
        records.add(new ProducerRecord<>(r.topic(), r.partition(), clock - records.size(), r.key(), r.value(), r.headers()));
      }
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

  /** A name as a failure prints it: a long one cut in the middle, with its length. */
  static String shown(String name) {
    return name.length() <= 80 ? name : name.substring(0, 40) + "...(" + name.length() + " characters)..."
        + name.substring(name.length() - 20);
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

  /**
   * As awaitAll, but fails as soon as events are lost for good: the group committed a partition past
   * a record no worker handled, so nobody in the group reads it again.
   */
  static void awaitAll(Handled handled, String topic, int events, String why) throws Exception {
    String group = Workers.groupFor(topic, "worker-1");
    try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        Broker.bootstrapServers()))) {
      List<String> lost = new ArrayList<>();
      Poll.until(() -> {
        if (handled.count() >= events) return true;
        lost.clear();
        try {
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
              .forEach((tp, committed) -> {
                if (!tp.topic().equals(topic)) return; // a group of several topics is told by oneGroup
                long first = handled.firstUnhandled(tp.partition());
                if (committed != null && committed.offset() > first) {
                  lost.add("p" + tp.partition() + " committed at " + committed.offset() + ", p" + tp.partition() + "@"
                      + first + " never handled");
                }
              });
        } catch (Exception e) {
          return false; // the group is rebalancing: ask again
        }
        return !lost.isEmpty();
      }, WAIT, () -> why + "the workers handled " + handled.count() + " of " + events + " events");
      assertThat(handled.count()).as("%sthe workers handled %d of %d events, and the group's committed offsets are"
          + " past records nobody handled (%s)", why, handled.count(), events, lost).isGreaterThanOrEqualTo(events);
    }
    Timeline.note("events handled per worker: " + handled.perWorker());
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
