//JAVA 17+
//SOURCES Schema.java ../../shared/src/workbook/story/*.java

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import workbook.story.Story;

/**
 * A consumer in the middle of a migration: its code knows one schema version (the reader), while
 * the topic holds events that older and newer producers wrote. It is a tolerant reader: it
 * skips fields it does not know and fills missing ones from its own defaults.
 */
final class MigratingConsumer {
  private final Schema reader;

  MigratingConsumer(Schema reader) { this.reader = reader; }

  /**
   * Turns one decoded event (field name to value, as a JSON or Avro deserializer hands it over)
   * into exactly the fields of this consumer's schema, in its order.
   */
  Map<String, Object> read(Map<String, Object> event) {
    // Tolerant reader: fields this code does not know are dropped, a missing field takes this
    // reader's default (the writer's schema has no say), and a missing field without one is an error.
    Map<String, Object> record = new LinkedHashMap<>();
    for (Schema.Field field : reader.fields()) record.put(field.name(), valueOf(field, event));
    return record;
  }

  private Object valueOf(Schema.Field field, Map<String, Object> event) {
    if (event.containsKey(field.name())) return event.get(field.name());
    if (field.hasDefault()) return field.defaultValue();
    throw new IllegalArgumentException("'" + field.name() + "' is missing from " + event
        + " and v" + reader.version() + " has no default for it");
  }

  /** Reads a whole topic in order, telling the story of each event for a failing test. */
  List<Map<String, Object>> readAll(List<Map<String, Object>> topic) {
    return topic.stream().map(event -> {
      Story.add("consumer on v" + reader.version() + " reads " + event);
      Map<String, Object> record = read(event);
      Story.add("  and gets " + record);
      return record;
    }).toList();
  }
}
