package workbook.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import workbook.story.Story;

/**
 * The timeline of a test: each record a traced client sent or read becomes one short line of
 * the test's story, which the launcher prints under a failing test ("What happened, in order").
 * Clients built from {@link Clients}' configs are traced by the two interceptors below.
 */
public final class Timeline {
  private static final Pattern EVENT_TYPE = Pattern.compile("\"(?:eventType|type)\"\\s*:\\s*\"([^\"]{1,40})\"");
  private static final Pattern EVENT_ID = Pattern.compile("\"eventId\"\\s*:\\s*\"([^\"]{1,80})\"");
  private static final Pattern ORDER_ID = Pattern.compile("\"orderId\"\\s*:\\s*\"([^\"]{1,60})\"");

  private static final List<Map<String, Object>> PRODUCERS_MADE = new java.util.concurrent.CopyOnWriteArrayList<>();

  private Timeline() {}

  /**
   * The settings of every traced producer made in this process, in the order they were made, as
   * Kafka hands them to the producer's interceptors (what is left out takes Kafka's default): a
   * test can ask what a producer waits for (acks) without reaching into the producer.
   */
  public static List<Map<String, Object>> producersMade() {
    return List.copyOf(PRODUCERS_MADE);
  }

  /** A line of your own between the records, e.g. {@code Timeline.note("inventory is down")}. */
  public static void note(String line) {
    Story.entry(Story.Kind.NOTE, null).line(String.format(Locale.ROOT, "%-6s %s", "note", line)).add();
  }

  /** {@code sent  orders-k3x9q2  p1@0   order-1     order.confirmed     by shop}. */
  static String line(String verb, String topic, String where, String key, String what, String who) {
    return String.format(Locale.ROOT, "%-6s %-15s %-7s %-12s %-20s by %s", verb, topic, where, key, what, who);
  }

  /** A line whose middle is free text: {@code starts  orders-k3x9q2  at p0@0 p1@0  by inventory}. */
  static String wide(String verb, String topic, String text, String who) {
    return String.format(Locale.ROOT, "%-6s %-15s %-41s by %s", verb, topic, text, who);
  }

  static String where(int partition, long offset) {
    return "p" + partition + "@" + offset;
  }

  /** The key as a learner recognises it; long keys (a UUID, a timestamp) are cut, not hidden. */
  static String key(Object key) {
    if (key == null) return "(no key)";
    String k = text(key);
    return k.length() <= 12 ? k : k.substring(0, 11) + "…";
  }

  /** The event type from an "eventType" header, else from the JSON value, else the value itself. */
  static String what(Object value, Headers headers) {
    if (value == null) return "(no value)";
    Header header = headers == null ? null : headers.lastHeader("eventType");
    if (header != null && header.value() != null) return new String(header.value(), StandardCharsets.UTF_8);
    String v = text(value);
    Matcher m = EVENT_TYPE.matcher(v);
    if (m.find()) return m.group(1);
    String flat = v.replaceAll("\\s+", " ");
    return flat.length() <= 20 ? flat : flat.substring(0, 19) + "…";
  }

  static String who(String client, String group) {
    return group == null || group.isBlank() || group.equals(client) ? client : client + " (group " + group + ")";
  }

  /** "p0@4 p1@5": where each partition starts (or stopped), sorted by partition. */
  static String positions(Map<TopicPartition, Long> offsets) {
    return new TreeMap<>(offsets.entrySet().stream()
            .collect(Collectors.toMap(e -> e.getKey().partition(), Map.Entry::getValue)))
        .entrySet().stream().map(e -> where(e.getKey(), e.getValue())).collect(Collectors.joining(" "));
  }

  static String topicOf(Collection<TopicPartition> partitions) {
    return partitions.stream().map(TopicPartition::topic).distinct().collect(Collectors.joining(","));
  }

  /** The correlation id a record carries in a header named like "correlationId" (any case, - or _), if any. */
  static String correlation(Headers headers) {
    if (headers == null) return null;
    for (Header h : headers) {
      String name = h.key().toLowerCase(Locale.ROOT).replaceAll("[-_]", "");
      if ((name.equals("correlationid") || name.equals("xcorrelationid")) && h.value() != null) {
        return new String(h.value(), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** The event's id, from an "eventId" header or the JSON value: the same id twice is one event twice. */
  static String eventId(Object value, Headers headers) {
    Header header = headers == null ? null : headers.lastHeader("eventId");
    if (header != null && header.value() != null) return new String(header.value(), StandardCharsets.UTF_8);
    if (value == null) return null;
    Matcher m = EVENT_ID.matcher(text(value));
    return m.find() ? m.group(1) : null;
  }

  /** What the event is about: the order id in its JSON value, if any (the page groups a load's records by it). */
  static String subject(Object value) {
    if (value == null) return null;
    Matcher m = ORDER_ID.matcher(text(value));
    return m.find() ? m.group(1) : null;
  }

  /** The whole key, for the diagram's hover (the line shows it cut). */
  static String fullKey(Object key) {
    return key == null ? null : text(key);
  }

  private static String text(Object o) {
    return o instanceof byte[] ? new String((byte[]) o, StandardCharsets.UTF_8) : String.valueOf(o);
  }

  /**
   * Producer side: the key and event type are known when a record is sent, its partition and
   * offset only when the broker acknowledges it, so the line is written at the acknowledgement.
   */
  public static final class ProducerTrace implements ProducerInterceptor<Object, Object> {
    // Kafka usually hands the acknowledgement the same Headers object the record was sent with;
    // a send that fails before it has a partition gets a read-only copy, found by its content.
    private final List<Map.Entry<Headers, String[]>> pending = new ArrayList<>();
    private String client = "producer";

    @Override public void configure(Map<String, ?> configs) {
      Object id = configs.get("client.id");
      if (id != null && !id.toString().isBlank()) client = id.toString();
      Map<String, Object> settings = new HashMap<>();
      configs.forEach((k, v) -> settings.put(k, v));
      PRODUCERS_MADE.add(java.util.Collections.unmodifiableMap(settings));
      if (PRODUCERS_MADE.size() > 1_000) PRODUCERS_MADE.remove(0); // bounded: a long run makes many
    }

    @Override public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
      synchronized (pending) {
        // Bounded, so records that never get an answer cannot pile up.
        if (pending.size() > 10_000) pending.remove(0);
        pending.add(Map.entry(record.headers(), new String[] {key(record.key()), what(record.value(), record.headers()),
            fullKey(record.key()), correlation(record.headers()), Long.toString(System.nanoTime()),
            eventId(record.value(), record.headers()), subject(record.value())}));
      }
      return record;
    }

    @Override public void onAcknowledgement(RecordMetadata m, Exception e, Headers headers) {
      String[] sent = headers == null ? null : take(headers);
      String k = sent == null ? "?" : sent[0];
      String w = sent == null ? "?" : sent[1];
      Story.Builder entry = Story.entry(Story.Kind.SENT, client).key(sent == null ? null : sent[2]).eventType(w)
          .correlationId(sent == null ? null : sent[3]).when(sent == null ? 0 : Long.parseLong(sent[4])).eventId(sent == null ? null : sent[5])
          .subject(sent == null ? null : sent[6]);
      if (e == null) {
        entry.topic(m.topic()).at(m.partition(), m.offset())
            .line(line("sent", m.topic(), where(m.partition(), m.offset()), k, w, client)).add();
      } else {
        String topic = m == null ? "?" : m.topic();
        entry.topic(topic).failed(true)
            .line(line("FAILED", topic, "-", k, w, client) + ": " + e.getClass().getSimpleName()).add();
      }
    }

    private String[] take(Headers headers) {
      synchronized (pending) {
        for (int i = 0; i < pending.size(); i++) {
          if (pending.get(i).getKey() == headers) return pending.remove(i).getValue();
        }
        for (int i = 0; i < pending.size(); i++) {
          if (pending.get(i).getKey().equals(headers)) return pending.remove(i).getValue();
        }
        return null;
      }
    }

    @Override public void close() { pending.clear(); }
  }

  /** What both consumer sides know: the client, its group, the partitions it read and its last commits. */
  abstract static class ConsumerSide implements ConsumerInterceptor<Object, Object> {
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    final Set<TopicPartition> read = ConcurrentHashMap.newKeySet();
    String client = "consumer";
    String group;

    @Override public void configure(Map<String, ?> configs) {
      Object id = configs.get("client.id");
      if (id != null && !id.toString().isBlank()) client = id.toString();
      Object g = configs.get("group.id");
      group = g == null ? null : g.toString();
    }

    /**
     * Auto-commit and rebalances repeat offsets that did not move: only a commit that moved, on a
     * partition this client has read from, is told. Sorted by topic and partition.
     */
    synchronized List<Map.Entry<TopicPartition, Long>> moved(Map<TopicPartition, OffsetAndMetadata> offsets) {
      List<Map.Entry<TopicPartition, Long>> moved = new ArrayList<>();
      offsets.forEach((tp, om) -> {
        boolean changed = !Long.valueOf(om.offset()).equals(committed.put(tp, om.offset()));
        if (changed && read.contains(tp)) moved.add(Map.entry(tp, om.offset()));
      });
      moved.sort(Map.Entry.comparingByKey(java.util.Comparator.comparing(TopicPartition::topic)
          .thenComparingInt(TopicPartition::partition)));
      return moved;
    }

    @Override public void close() {}
  }

  /** Consumer side: one line per record handed to the application, and commits that moved. */
  public static final class ConsumerTrace extends ConsumerSide {
    @Override public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
      // What this thread does with the records next (in the database, say) is drawn on this consumer's lane.
      if (!records.isEmpty()) Story.actingOnThisThread(client, group);
      for (ConsumerRecord<Object, Object> r : records) {
        read.add(new TopicPartition(r.topic(), r.partition()));
        String w = what(r.value(), r.headers());
        Story.entry(Story.Kind.READ, client).group(group).topic(r.topic()).at(r.partition(), r.offset())
            .key(fullKey(r.key())).eventType(w).eventId(eventId(r.value(), r.headers())).correlationId(correlation(r.headers()))
            .subject(subject(r.value())).line(line("read", r.topic(), where(r.partition(), r.offset()), key(r.key()), w, who(client, group))).add();
      }
      return records;
    }

    @Override public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
      List<Map.Entry<TopicPartition, Long>> moved = moved(offsets);
      if (moved.isEmpty()) return;
      Map<TopicPartition, Long> next = new java.util.LinkedHashMap<>();
      moved.forEach(m -> next.put(m.getKey(), m.getValue()));
      // One entry per partition, drawn as an arrow each; only the first carries the text line.
      String text = wide("commit", topicOf(next.keySet()), "next " + positions(next), who(client, group));
      for (Map.Entry<TopicPartition, Long> m : moved) {
        Story.entry(Story.Kind.COMMITTED, client).group(group).topic(m.getKey().topic())
            .at(m.getKey().partition(), m.getValue()).line(text).add();
        text = null;
      }
    }
  }

  /** Gathers one run of records (one partition, one after another) into a single story entry. */
  private static final class Run {
    final String topic;
    final int partition;
    final long firstOffset, nanoTime;
    long lastOffset;
    int count;
    final Set<String> keys = new java.util.LinkedHashSet<>(), subjects = new java.util.LinkedHashSet<>();

    Run(String topic, int partition, long firstOffset) {
      this.topic = topic;
      this.partition = partition;
      this.firstOffset = firstOffset;
      this.lastOffset = firstOffset;
      this.nanoTime = System.nanoTime();
    }

    void add(long offset, String key, String subject) {
      lastOffset = offset;
      count++;
      keys.add(String.valueOf(key));
      if (subject != null) subjects.add(subject);
    }

    void record(Story.Kind kind, String client, String group) {
      String key = keys.size() == 1 ? keys.iterator().next() : null;
      Story.entry(kind, client).group(group).topic(topic).at(partition, firstOffset).when(nanoTime)
          .key("null".equals(key) ? null : key).subject(subjects.size() == 1 ? subjects.iterator().next() : null)
          .records(new Story.Records(count, lastOffset, List.copyOf(keys), List.copyOf(subjects))).add();
    }
  }

  /**
   * A bulk load's producer side ({@link Clients#withoutTimeline}): nothing printed (thousands of
   * lines would bury the story), and on the page one arrow per run of records one partition
   * acknowledged in a row, with only what the page needs: offsets, keys, the body's order ids.
   */
  public static final class BulkProducerTrace implements ProducerInterceptor<Object, Object> {
    // Kafka hands the acknowledgement the record's own Headers object: found by identity, in O(1).
    private final Map<Headers, String[]> pending = new java.util.IdentityHashMap<>();
    private final Runnable flush = this::flush;
    private String client = "producer";
    private Run run;

    @Override public void configure(Map<String, ?> configs) {
      Object id = configs.get("client.id");
      if (id != null && !id.toString().isBlank()) client = id.toString();
      Story.flushBefore(flush, true);
    }

    @Override public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
      String[] sent = {fullKey(record.key()), subject(record.value())};
      synchronized (this) {
        if (pending.size() < 100_000) pending.put(record.headers(), sent);
      }
      return record;
    }

    @Override public void onAcknowledgement(RecordMetadata m, Exception e, Headers headers) {
      synchronized (this) {
        String[] sent = headers == null ? null : pending.remove(headers);
        if (e == null) {
          if (run != null && (run.partition != m.partition() || !run.topic.equals(m.topic()) || m.offset() <= run.lastOffset)) flush();
          if (run == null) run = new Run(m.topic(), m.partition(), m.offset());
          run.add(m.offset(), sent == null ? null : sent[0], sent == null ? null : sent[1]);
          return;
        }
        // A failed send is printed: it may be why the test failed.
        String topic = m == null ? "?" : m.topic();
        Story.entry(Story.Kind.SENT, client).key(sent == null ? null : sent[0]).subject(sent == null ? null : sent[1])
            .topic(topic).failed(true).line(line("FAILED", topic, "-", key(sent == null ? null : sent[0]), "(bulk)", client)
                + ": " + e.getClass().getSimpleName()).add();
      }
    }

    private synchronized void flush() {
      if (run != null) run.record(Story.Kind.SENT, client, null);
      run = null;
    }

    @Override public void close() {
      flush();
      Story.flushBefore(flush, false);
      synchronized (this) {
        pending.clear();
      }
    }
  }

  /** A bulk load's consumer side: one drawn, unprinted entry per poll and partition, and per commit that moved. */
  public static final class BulkConsumerTrace extends ConsumerSide {
    @Override public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
      if (records.isEmpty()) return records;
      Story.actingOnThisThread(client, group);
      for (TopicPartition tp : records.partitions()) {
        read.add(tp);
        Run run = null;
        for (ConsumerRecord<Object, Object> r : records.records(tp)) {
          if (run == null) run = new Run(tp.topic(), tp.partition(), r.offset());
          run.add(r.offset(), fullKey(r.key()), subject(r.value()));
        }
        if (run != null) run.record(Story.Kind.READ, client, group);
      }
      return records;
    }

    @Override public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
      for (Map.Entry<TopicPartition, Long> m : moved(offsets)) {
        Story.entry(Story.Kind.COMMITTED, client).group(group).topic(m.getKey().topic()).at(m.getKey().partition(), m.getValue()).add();
      }
    }
  }
}
