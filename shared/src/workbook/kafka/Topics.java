package workbook.kafka;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Topics and groups for a test: unique names (tests never see each other's records or members,
 * even on a shared cluster), topics created with the partitions a lab needs, and consumer lag.
 */
public final class Topics {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

  private Topics() {}

  /** "orders" becomes e.g. "orders-k3x9q2": for topic names and group ids alike. */
  public static String unique(String prefix) {
    StringBuilder sb = new StringBuilder(prefix).append('-');
    for (int i = 0; i < 6; i++) sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    return sb.toString();
  }

  /**
   * A new topic with a unique name on {@link Broker#bootstrapServers()}; returns its name.
   * Making a topic takes the broker a few hundred milliseconds, so each call also starts making
   * the next one of the same prefix and size in the background: a lab whose tests each take a
   * fresh topic (and the next run, in a warm runner) finds it ready.
   */
  public static String fresh(String prefix, int partitions) {
    String servers = Broker.bootstrapServers();
    String kind = servers + " " + prefix + " " + partitions;
    String name = null;
    CompletableFuture<String> spare = SPARES.remove(kind);
    if (spare != null) {
      try {
        name = spare.get(35, TimeUnit.SECONDS);
      } catch (ExecutionException failed) {
        // made below instead, where a failure gets its own message
      } catch (TimeoutException e) {
        throw new IllegalStateException("Could not create a topic " + prefix + "-... within 35 s: is the broker up?"
            + " (./jbang workbook@. doctor)");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for a topic");
      }
    }
    if (name == null) name = create(servers, unique(prefix), partitions);
    SPARES.put(kind, CompletableFuture.supplyAsync(() -> create(servers, unique(prefix), partitions), SPARE_MAKER));
    return name;
  }

  /** The next topic of each kind (bootstrap servers, prefix, partitions), being made or made. */
  private static final Map<String, CompletableFuture<String>> SPARES = new ConcurrentHashMap<>();
  private static final ExecutorService SPARE_MAKER = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS,
      new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "workbook-spare-topics");
        t.setDaemon(true); // never keeps a test JVM alive; ends after 30 idle seconds
        return t;
      });

  /**
   * Creates a topic with {@code partitions} partitions and the cluster's default replication
   * (one copy on the embedded broker). Create topics explicitly: a topic made on first use gets
   * the broker's default partition count, and some clusters refuse to make them at all.
   */
  public static String create(String bootstrapServers, String name, int partitions) {
    return create(bootstrapServers, name, partitions, Map.of());
  }

  /** The same with topic settings, e.g. {@code Map.of("max.message.bytes", "1024")}. */
  public static String create(String bootstrapServers, String name, int partitions, Map<String, String> configs) {
    try (Admin admin = admin(bootstrapServers)) {
      NewTopic topic = new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
      await(admin.createTopics(List.of(topic)).all(), "create topic " + name);
      awaitLive(admin, name, partitions);
    }
    return name;
  }

  /**
   * The topic exists before every partition is live on its leader. A producer that writes at
   * once can have its first batch refused (NOT_LEADER_OR_FOLLOWER) while a later one is taken;
   * the first is then retried until it expires, and its records are lost (KAFKA-15591). So we
   * return only once every partition's leader answers for it (asking for its end offset).
   */
  private static void awaitLive(Admin admin, String topic, int partitions) {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try {
        // Asked first because it fails quietly while the broker does not know the topic yet;
        // listOffsets would log an error for that.
        admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS);
        admin.listOffsets(request).all().get(5, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException | TimeoutException notYet) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Topic " + topic + " was created, but its partitions did not come online"
              + " within 15 s: is the broker overloaded? (./jbang workbook@. doctor)");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for topic " + topic);
      }
    }
  }

  /** The offset the next record of each partition will get (the count, on a fresh topic). */
  public static Map<Integer, Long> endOffsets(String topic) {
    return endOffsets(Broker.bootstrapServers(), topic);
  }

  public static Map<Integer, Long> endOffsets(String bootstrapServers, String topic) {
    try (Admin admin = admin(bootstrapServers)) {
      return endOffsets(admin, topic).entrySet().stream()
          .collect(Collectors.toMap(e -> e.getKey().partition(), Map.Entry::getValue));
    }
  }

  /**
   * Consumer lag: records on {@code topic} that {@code group} has not committed yet. A group
   * that never committed lags by everything. (Auto-commit runs every 5 s and at close.)
   */
  /**
   * Every record of a one-partition topic, oldest first, up to its end offset now. The reader is
   * assigned the partition instead of joining a group, so it commits nothing and disturbs no one.
   */
  public static List<ConsumerRecord<String, String>> readAll(String topic) {
    TopicPartition partition = new TopicPartition(topic, 0);
    int count = endOffsets(topic).get(0).intValue();
    try (var reader = Clients.consumer(unique("reader"), "reader")) {
      reader.assign(List.of(partition));
      reader.seekToBeginning(List.of(partition));
      return Poll.records(reader, count, Duration.ofSeconds(10));
    }
  }

  /**
   * Distinct names around {@code base}, as Kafka allows them in topic names and group ids
   * ([a-zA-Z0-9._-]), for a test that checks a name is kept whole and as it is: the same name in
   * other cases, long names that share a beginning of 16 to 60 characters, names with dots,
   * dashes and underscores, the name without its last part or its dashes, pairs with the same
   * String.hashCode(), and random ones of 1 to 120 characters. The same for the same random.
   */
  public static List<String> distinctNames(java.util.Random random, String base) {
    java.util.Set<String> names = new java.util.LinkedHashSet<>(List.of(base, base.toUpperCase(java.util.Locale.ROOT),
        Character.toUpperCase(base.charAt(0)) + base.substring(1), base + ".v2", base + "_v2", base + "-v2",
        base.substring(0, Math.max(1, base.lastIndexOf('-'))), base.replace("-", "")));
    String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    java.util.function.IntFunction<String> word = n -> random.ints(n, 0, alphabet.length())
        .mapToObj(i -> String.valueOf(alphabet.charAt(i))).collect(Collectors.joining());
    for (int i = 0; i < 12; i++) {
      String prefix = base + "-" + word.apply(16 + random.nextInt(45));
      names.add(prefix + "-a");
      names.add(prefix + "-b");
      // Two names that differ only where one has "Aa" and the other "BB" have the same String.hashCode().
      String head = base + "-" + word.apply(random.nextInt(20)), tail = word.apply(random.nextInt(20));
      names.add(head + "Aa" + tail);
      names.add(head + "BB" + tail);
      String mixed = word.apply(1 + random.nextInt(120));
      names.add(mixed);
      names.add(mixed.toLowerCase(java.util.Locale.ROOT));
      names.add(mixed.toUpperCase(java.util.Locale.ROOT));
    }
    return new java.util.ArrayList<>(names);
  }

  public static long lag(String group, String topic) {
    try (Admin admin = admin(Broker.bootstrapServers())) {
      Map<TopicPartition, OffsetAndMetadata> committed = await(
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(), "read offsets of " + group);
      return endOffsets(admin, topic).entrySet().stream().mapToLong(e -> {
        OffsetAndMetadata c = committed.get(e.getKey());
        return e.getValue() - (c == null ? 0 : c.offset());
      }).sum();
    }
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) {
    int partitions = await(admin.describeTopics(List.of(topic)).allTopicNames(), "describe " + topic)
        .get(topic).partitions().size();
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    return await(admin.listOffsets(request).all(), "read end offsets of " + topic).entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        // A broker that does not answer fails the call in 30 s instead of a minute; a loaded
        // laptop (or verify running two labs at once) can take over 10 s for the first call.
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
        // A new topic's partitions come online about 100 ms after it is made: asked again after
        // 10 ms (Kafka: 100 ms, doubling up to 1 s), they are seen as soon as they are.
        AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 10,
        AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 100));
  }

  private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
    try {
      return future.get(35, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Could not " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Could not " + what + " within 35 s: is the broker up? (./jbang workbook@. doctor)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while trying to " + what);
    }
  }
}
