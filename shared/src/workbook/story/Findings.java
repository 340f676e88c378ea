package workbook.story;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import workbook.story.Story.Entry;
import workbook.story.Story.Kind;

/**
 * What a test's diagram answers at a glance, found in its entries: keys spread over partitions,
 * records read twice by one group, sends that failed, statements and their transactions. The
 * page (StoryPage) prints them above the diagram and marks the arrows of what was read again.
 */
final class Findings {
  private Findings() {}

  static String counts(List<Entry> entries) {
    Map<String, Integer> byKind = new LinkedHashMap<>();
    for (Kind k : Kind.values()) byKind.put(k.word(), 0);
    for (Entry e : entries) byKind.merge(e.kind().word(), e.records() == null ? 1 : e.records().count(), Integer::sum);
    StringBuilder sb = new StringBuilder();
    byKind.forEach((k, n) -> {
      String word = n == 1 || k.equals("sent") || k.equals("read") || k.equals("committed") ? k : k + "s";
      if (n > 0) sb.append(sb.length() == 0 ? "" : ", ").append(n).append(' ').append(word);
    });
    return sb.toString();
  }


  /** A topic's partition, and a record's place, as map keys (cheaper than strings for thousands of entries). */
  private record Part(String topic, int partition) {}

  private record Place(String group, String topic, int partition, long offset) {}

  record Facts(Map<String, Set<Part>> partitionsOfKey, List<String> duplicates, int duplicateCount,
      int failedSends, String counts, Map<String, Set<Part>> partitionsOfSubject, Map<List<String>, Set<String>> readersOfSubject,
      boolean subjectIsKey, Map<String, Map<Integer, Integer>> readsByReader, List<String> refused, int statements,
      int dbCommits, int dbRollbacks, boolean oneTopic, Set<Entry> readAgain, Map<Place, Set<String>> readersOfPartition) {
    void html(StringBuilder sb) {
      List<String> items = new ArrayList<>();
      items.add(counts.isEmpty() ? "nothing recorded" : counts);
      List<String> spread = new ArrayList<>();
      int spreadCount = spread(partitionsOfKey, spread, 5);
      if (spreadCount > 0) {
        items.add("<b>keys on more than one partition</b> (their order is not kept): " + StoryPage.esc(String.join("; ", spread))
            + (spreadCount > 5 ? " and " + (spreadCount - 5) + " more" : ""));
      } else if (!partitionsOfKey.isEmpty()) {
        items.add("each key stayed on one partition (" + partitionsOfKey.size() + " key" + (partitionsOfKey.size() == 1 ? "" : "s") + ")");
      }
      if (duplicateCount > 0) {
        items.add("<b>read twice</b> by the same group: " + StoryPage.esc(String.join("; ", duplicates))
            + (duplicateCount > duplicates.size() ? " and " + (duplicateCount - duplicates.size()) + " more" : ""));
      }
      if (!partitionsOfSubject.isEmpty() && !subjectIsKey) {
        // The records' keys are not their order ids (none, or another one): where did each order's events go?
        List<String> orders = new ArrayList<>();
        int spreadOrders = spread(partitionsOfSubject, orders, 4);
        items.add(spreadOrders == 0 ? "each order (from the events' bodies) stayed on one partition (" + partitionsOfSubject.size() + " orders)"
            : "<b>" + spreadOrders + " of " + partitionsOfSubject.size() + " orders on more than one partition</b> (from the"
                + " events' bodies; their order is not kept): " + StoryPage.esc(String.join("; ", orders))
                + (spreadOrders > 4 ? " and " + (spreadOrders - 4) + " more" : ""));
      }
      List<String> shared = new ArrayList<>();
      int sharedCount = 0;
      List<Map.Entry<List<String>, Set<String>>> bySubject = new ArrayList<>();
      for (Map.Entry<List<String>, Set<String>> e : readersOfSubject.entrySet()) if (e.getValue().size() > 1) bySubject.add(e);
      bySubject.sort(Map.Entry.comparingByKey(java.util.Comparator.comparing((List<String> k) -> k.get(1))
          .thenComparing(k -> String.valueOf(k.get(0)))));
      for (Map.Entry<List<String>, Set<String>> e : bySubject) {
        if (sharedCount++ < 3) shared.add(e.getKey().get(1) + " by " + String.join(", ", new TreeSet<>(e.getValue())));
      }
      if (sharedCount > 0) {
        // Within one group: one order's events handled by two members, in no order between them.
        items.add("<b>" + sharedCount + " of " + readersOfSubject.size() + " orders read by more than one consumer of a group</b>: "
            + StoryPage.esc(String.join("; ", shared)) + (sharedCount > 3 ? " and " + (sharedCount - 3) + " more" : ""));
      }
      List<String> handedOver = new ArrayList<>();
      readersOfPartition.forEach((p, readers) -> {
        if (readers.size() > 1) handedOver.add((oneTopic ? "" : p.topic() + " ") + "p" + p.partition() + " by " + String.join(", ", readers));
      });
      if (!handedOver.isEmpty()) {
        java.util.Collections.sort(handedOver);
        // A bulk load's partition read by two members of one group: handed over (a rebalance), or shared by mistake.
        items.add("<b>partitions read by more than one consumer of a group</b>: " + StoryPage.esc(String.join("; ",
            handedOver.subList(0, Math.min(6, handedOver.size())))));
      }
      if (readsByReader.size() > 1 || readsByReader.values().stream().anyMatch(m -> m.size() > 1)) {
        // Which consumer read which partitions (and how many records from each): the group's split at a glance.
        List<String> who = new ArrayList<>();
        new TreeMap<>(readsByReader).forEach((reader, parts) -> who.add(reader + ": " + String.join(", ",
            new TreeMap<>(parts).entrySet().stream().map(p -> "p" + p.getKey() + " (" + p.getValue() + ")").toList())));
        items.add("read: " + StoryPage.esc(String.join("; ", who.subList(0, Math.min(6, who.size()))))
            + (who.size() > 6 ? " and " + (who.size() - 6) + " more" : ""));
      }
      if (statements + dbCommits + dbRollbacks > 0) {
        items.add("database: " + statements + " statement" + (statements == 1 ? "" : "s") + ", " + dbCommits + " commit"
            + (dbCommits == 1 ? "" : "s") + ", " + dbRollbacks + " rollback" + (dbRollbacks == 1 ? "" : "s")
            + (refused.isEmpty() ? "" : "; <b>failed</b>: " + StoryPage.esc(String.join("; ", refused))));
      }
      if (failedSends > 0) items.add("<b>" + failedSends + " send" + (failedSends == 1 ? "" : "s") + " failed</b>");
      sb.append("<ul class=\"facts\">");
      for (String item : items) sb.append("<li>").append(item).append("</li>");
      sb.append("</ul>\n");
    }

    /**
     * How many keys are on more than one partition; the first {@code max} of them, in the keys' order, go to
     * {@code examples} as "order-1 on p0, p3" ("orders-t p0" with several topics).
     */
    private int spread(Map<String, Set<Part>> partitions, List<String> examples, int max) {
      int count = 0;
      for (Map.Entry<String, Set<Part>> e : partitions.entrySet()) {
        if (e.getValue().size() < 2 || count++ >= max) continue;
        List<Part> parts = new ArrayList<>(e.getValue());
        parts.sort(java.util.Comparator.comparing(Part::topic).thenComparingInt(Part::partition));
        examples.add(e.getKey() + " on " + String.join(", ", parts.stream()
            .map(p -> (oneTopic ? "" : p.topic() + " ") + "p" + p.partition()).toList()));
      }
      return count;
    }
  }

  private static void onPartition(Map<String, Set<Part>> partitions, String key, Part part) {
    Set<Part> on = partitions.get(key);
    if (on == null) partitions.put(key, on = new java.util.HashSet<>(4));
    on.add(part);
  }

  private static String reader(Entry e) {
    return e.actor() + (e.group() == null || e.group().equals(e.actor()) ? "" : " (group " + e.group() + ")");
  }

  private static String where(Entry e) {
    return e.topic() + " p" + e.partition() + "@" + e.offset();
  }

  static Facts of(List<Entry> all) {
    Map<String, Set<Part>> partitionsOfKey = new LinkedHashMap<>();
    Map<Place, Entry> firstRead = new HashMap<>();
    Map<List<String>, Entry> firstEvent = new HashMap<>();
    // The reads that read again what their group had read before (by identity: two entries may be equal).
    Set<Entry> readAgain = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    List<String> duplicates = new ArrayList<>();
    Map<String, Set<Part>> partitionsOfSubject = new TreeMap<>();
    Map<List<String>, Set<String>> readersOfSubject = new HashMap<>();
    Map<String, Map<Integer, Integer>> readsByReader = new HashMap<>();
    Set<String> topics = new java.util.HashSet<>();
    List<String> refused = new ArrayList<>();
    boolean subjectIsKey = true;
    int dupCount = 0, failedSends = 0, statements = 0, commits = 0, rollbacks = 0;
    // A bulk load's reads: the highest offset each group has read of each partition, and who read it.
    Map<Place, Entry> highest = new HashMap<>();
    Map<Place, Set<String>> readersOfPartition = new HashMap<>();
    for (Entry e : all) {
      if (e.kind() == Kind.SENT && e.failed()) failedSends++;
      if (e.topic() != null && e.partition() >= 0) topics.add(e.topic());
      Story.Records r = e.records();
      if (r != null) {
        Part part = new Part(e.topic(), e.partition());
        subjectIsKey &= r.subjects().isEmpty() || r.keys().size() == r.subjects().size() && r.keys().equals(r.subjects());
        if (e.kind() == Kind.SENT) {
          // One small call per record: compiled after a few hundred, while this method, run once per test, never is.
          for (String subject : r.subjects()) onPartition(partitionsOfSubject, subject, part);
          for (String key : r.keys()) if (!key.equals("null")) onPartition(partitionsOfKey, key, part);
        } else if (e.kind() == Kind.READ) {
          String actor = String.valueOf(e.actor());
          // Per partition, not per order: each order stayed on one partition and each partition had one reader,
          // or the facts say which did not.
          readersOfPartition.computeIfAbsent(new Place(e.group(), e.topic(), e.partition(), -1), k -> new TreeSet<>()).add(actor);
          readsByReader.computeIfAbsent(actor, k -> new HashMap<>()).merge(e.partition(), r.count(), Integer::sum);
          // Records at or below what the group had read of this partition are read again (a redelivery).
          Entry before = highest.get(new Place(e.group(), e.topic(), e.partition(), -1));
          long seen = before == null ? -1 : before.records().lastOffset();
          if (e.offset() <= seen) {
            readAgain.add(e);
            dupCount += (int) (Math.min(seen, r.lastOffset()) - e.offset() + 1);
            if (duplicates.size() < 5) {
              String reader = reader(e), first = reader(before);
              duplicates.add(e.topic() + " p" + e.partition() + "@" + e.offset() + "\u2013" + Math.min(seen, r.lastOffset())
                  + " by " + (first.equals(reader) ? reader + " again" : first + ", then " + reader));
            }
          }
          if (r.lastOffset() > seen) highest.put(new Place(e.group(), e.topic(), e.partition(), -1), e);
        }
        continue;
      }
      if (e.subject() != null && e.partition() >= 0 && (e.kind() == Kind.SENT || e.kind() == Kind.READ)) {
        subjectIsKey &= e.subject().equals(e.key());
        if (e.kind() == Kind.SENT) partitionsOfSubject.computeIfAbsent(e.subject(), k -> new java.util.HashSet<>(4)).add(new Part(e.topic(), e.partition()));
        else readersOfSubject.computeIfAbsent(java.util.Arrays.asList(e.group(), e.subject()), k -> new java.util.HashSet<>(4))
            .add(String.valueOf(e.actor()));
      }
      if (e.kind() == Kind.STATEMENT) {
        if ("COMMIT".equals(e.key())) commits++;
        else if ("ROLLBACK".equals(e.key())) rollbacks++;
        else statements++;
        if (e.failed() && refused.size() < 3) refused.add(e.eventType() + " by " + e.actor());
      }
      if (e.kind() == Kind.SENT && e.key() != null && e.partition() >= 0) {
        partitionsOfKey.computeIfAbsent(e.key(), k -> new java.util.HashSet<>(4)).add(new Part(e.topic(), e.partition()));
      }
      if (e.kind() == Kind.READ) {
        readsByReader.computeIfAbsent(String.valueOf(e.actor()), k -> new HashMap<>()).merge(e.partition(), 1, Integer::sum);
        Entry before = firstRead.putIfAbsent(new Place(e.group(), e.topic(), e.partition(), e.offset()), e);
        Entry sameEvent = e.eventId() == null ? null : firstEvent.putIfAbsent(java.util.Arrays.asList(e.group(), e.eventId()), e);
        if (before != null || sameEvent != null) readAgain.add(e);
        if (before != null) {
          dupCount++;
          if (duplicates.size() < 5) {
            String reader = reader(e), first = reader(before);
            duplicates.add(where(e) + (e.key() == null ? "" : " (" + e.key() + ")")
                + " by " + (first.equals(reader) ? reader + " again" : first + ", then " + reader));
          }
        } else if (sameEvent != null) {
          dupCount++;
          if (duplicates.size() < 5) {
            duplicates.add("event " + e.eventId() + (e.key() == null ? "" : " (" + e.key() + ")") + ": " + where(sameEvent)
                + " by " + reader(sameEvent) + ", then " + where(e) + " by " + reader(e) + " (sent twice)");
          }
        }
      }
    }
    return new Facts(partitionsOfKey, duplicates, dupCount, failedSends, counts(all), partitionsOfSubject, readersOfSubject,
        subjectIsKey, readsByReader, refused, statements, commits, rollbacks, topics.size() <= 1, readAgain, readersOfPartition);
  }
}
