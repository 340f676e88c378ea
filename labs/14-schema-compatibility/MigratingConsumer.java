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
    // TODO 4: keep the reader's fields only, take each value from the event, else the reader's default, else throw IllegalArgumentException naming the field.
    throw new UnsupportedOperationException("TODO 4: read the event into the reader's fields (see hint 4)");
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
