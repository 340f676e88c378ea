import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import workbook.kafka.Clients;
import workbook.kafka.Json;
import workbook.story.Story;

/**
 * The stock service: reserves stock for each order.placed. A record it can never process (not
 * JSON, a product it does not sell) is a poison message: retrying it cannot help, so it goes to
 * a dead-letter topic and the partition moves on.
 */
final class StockConsumer implements AutoCloseable {
  static final String DLT_SUFFIX = ".DLT";
  static final String ORIGINAL_TOPIC = "dlt.original.topic";
  static final String ORIGINAL_PARTITION = "dlt.original.partition";
  static final String ORIGINAL_OFFSET = "dlt.original.offset";
  static final String ERROR = "dlt.error";
  static final Duration RETRY_PAUSE = Duration.ofMillis(20);
  static final Set<String> CATALOG = Set.of("espresso-cup", "milk-jug", "grinder");

  private final KafkaConsumer<String, String> consumer;
  private final KafkaProducer<String, String> deadLetters;
  private final TraceLog trace;
  private final List<String> reserved = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>(); // tries of each record, by "partition@offset"
  private final Thread thread;
  private volatile boolean closing;
  /** The stock store (here a list) can be down for a while, as a database blips: a failure the next try may fix. */
  private volatile boolean storeDown;
  private final Duration retryPause;
  private final Pause pauses;

  StockConsumer(String topic, String group, TraceLog trace) {
    this(topic, group, trace, Clients.producer("stock-dlt"));
  }

  /** deadLetters: the producer for the dead-letter topic, closed with this consumer (the tests pass one with faults). */
  StockConsumer(String topic, String group, TraceLog trace, KafkaProducer<String, String> deadLetters) {
    this(topic, group, trace, deadLetters, Clients::consumer);
  }

  /** consumers: makes the consumer from its config (the tests pass one whose async commits are answered late). */
  StockConsumer(String topic, String group, TraceLog trace, KafkaProducer<String, String> deadLetters,
      Function<Map<String, Object>, KafkaConsumer<String, String>> consumers) {
    this(topic, group, trace, deadLetters, consumers, RETRY_PAUSE);
  }

  /** retryPause: the pause before a failed record is read again (RETRY_PAUSE; a test passes none, to fail a record fast). */
  StockConsumer(String topic, String group, TraceLog trace, KafkaProducer<String, String> deadLetters,
      Function<Map<String, Object>, KafkaConsumer<String, String>> consumers, Duration retryPause) {
    this(topic, group, trace, deadLetters, consumers, retryPause, SLEEP);
  }

  /** pauses: how each pause is taken (SLEEP; a test passes one that returns at once, to try a record often, pauses long). */
  StockConsumer(String topic, String group, TraceLog trace, KafkaProducer<String, String> deadLetters,
      Function<Map<String, Object>, KafkaConsumer<String, String>> consumers, Duration retryPause, Pause pauses) {
    this.trace = trace;
    this.deadLetters = deadLetters;
    this.retryPause = retryPause;
    this.pauses = pauses;
    Map<String, Object> config = Clients.consumerConfig(group, "stock");
    // We commit each record ourselves once it is handled (reserved, or safely dead-lettered).
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer = consumers.apply(config);
    thread = new Thread(() -> run(topic), "stock-consumer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Sends a poison record to the dead-letter topic, with where it came from and why (OrderService.sendAndWait). */
  void deadLetter(ConsumerRecord<String, String> record, PoisonMessage error) {
    // Same key, value and headers (the correlation id stays), plus where it came from and why: someone must
    // find the producer later. We wait for the broker, because the loop commits past the record when we return.
    Headers headers = new RecordHeaders(record.headers().toArray());
    headers.add(ORIGINAL_TOPIC, utf8(record.topic()));
    headers.add(ORIGINAL_PARTITION, utf8(String.valueOf(record.partition())));
    headers.add(ORIGINAL_OFFSET, utf8(String.valueOf(record.offset())));
    headers.add(ERROR, utf8(error.getMessage()));
    OrderService.sendAndWait(deadLetters,
        new ProducerRecord<>(record.topic() + DLT_SUFFIX, null, record.key(), record.value(), headers));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Reserves stock for one order, or throws PoisonMessage when no retry could ever make it work. */
  void reserve(ConsumerRecord<String, String> record) {
    OrderService.OrderPlaced order;
    try {
      order = Json.read(record.value(), OrderService.OrderPlaced.class);
    } catch (IllegalArgumentException e) {
      throw new PoisonMessage(e.getMessage());
    }
    if (order == null || order.orderId() == null) throw new PoisonMessage("not an order: " + record.value());
    if (order.sku() == null || !CATALOG.contains(order.sku())) throw new PoisonMessage("unknown sku '" + order.sku() + "'");
    if (order.quantity() <= 0) throw new PoisonMessage("quantity must be positive, was " + order.quantity());
    if (storeDown) throw new IllegalStateException("the stock store is down: not poison, the next try may work");
    reserved.add(order.orderId());
    trace.record("stock", "reserved " + order.quantity() + " " + order.sku() + " for " + order.orderId(),
        header(record, Tracing.CORRELATION_HEADER),
        header(record, Tracing.EVENT_ID_HEADER));
  }

  private void run(String topic) {
    try {
      Clients.subscribe(consumer, topic);
      while (!closing) pollOnce();
    } catch (WakeupException e) {
      // close() asked us to stop
    } finally {
      consumer.close();
      deadLetters.close();
    }
  }

  private void pollOnce() {
    ConsumerRecords<String, String> batch = consumer.poll(Duration.ofMillis(200));
    // Partition by partition: a record that fails holds up the records after it on its own partition
    // only. Each partition's records of this batch are handled or sought back to, never dropped: the
    // consumer's position is already past every record the poll returned.
    for (TopicPartition partition : batch.partitions()) {
      for (ConsumerRecord<String, String> record : batch.records(partition)) {
        try {
          handle(record);
        } catch (RuntimeException e) {
          retryLater(record, e);
          break; // the rest of this partition comes again after the seek; the other partitions go on
        }
        // Commit each record once handled: after a crash we redo at most this one.
        consumer.commitSync(Map.of(partition, new OffsetAndMetadata(record.offset() + 1)));
      }
    }
  }

  private void handle(ConsumerRecord<String, String> record) {
    try {
      reserve(record);
    } catch (PoisonMessage poison) {
      deadLetter(record, poison);
      trace.record("stock", "dead-lettered: " + poison.getMessage(), header(record, Tracing.CORRELATION_HEADER),
          header(record, Tracing.EVENT_ID_HEADER));
    }
  }

  /** Any other failure might pass (a database blip): read the same record again after a pause. */
  private void retryLater(ConsumerRecord<String, String> record, RuntimeException e) {
    int attempt = failures.merge(record.partition() + "@" + record.offset(), 1, Integer::sum);
    Story.add("stock: offset " + record.offset() + " failed (attempt " + attempt + "): " + e.getMessage());
    consumer.seek(partition(record), record.offset());
    try {
      pauses.take(retryPause);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      closing = true;
    }
  }

  /** Takes the stock store down (true) or brings it back (false): reserve fails meanwhile, and the loop retries. */
  void storeDown(boolean down) { storeDown = down; }

  /** False once its thread has ended: closed, or its process died (a Crash the tests inject). */
  boolean running() { return thread.isAlive(); }

  /** The order ids reserved so far, in order. */
  List<String> reserved() { return List.copyOf(reserved); }

  /** The most times any one record has failed: a partition stuck on one record shows here. */
  int mostAttempts() { return failures.values().stream().mapToInt(Integer::intValue).max().orElse(0); }

  static String header(ConsumerRecord<String, String> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static TopicPartition partition(ConsumerRecord<?, ?> record) {
    return new TopicPartition(record.topic(), record.partition());
  }

  @Override
  public void close() {
    closing = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How the loop waits before it reads a failed record again. */
  interface Pause {
    void take(Duration pause) throws InterruptedException;
  }

  /** The pause of a running service: the thread sleeps. */
  static final Pause SLEEP = pause -> Thread.sleep(pause.toMillis());

  /** A record no retry can fix: bad data, or a request the business rules refuse. */
  static final class PoisonMessage extends RuntimeException {
    PoisonMessage(String message) { super(message); }
  }
}
