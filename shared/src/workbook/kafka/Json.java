//SOURCES ../json/*.java
package workbook.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * JSON for event values, one mapper for every lab. (Jackson's version must match the one in
 * workbook/rest/Rest.java: a lab may source both.)
 */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      // Instants as ISO-8601 text ("2025-05-01T09:30:00.123Z"): readable in a log or a console,
      // and every language parses it. Numbers of seconds are neither.
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      // A tolerant reader: a producer may add a field tomorrow; today's consumers skip it.
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot write " + value.getClass().getSimpleName() + " as JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  public static <T> T read(String json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Not a " + type.getSimpleName() + " in JSON: " + e.getOriginalMessage()
          + " in " + abbreviate(json), e);
    }
  }

  /** Any value (a record, a map) as a JSON tree, e.g. for an envelope's {@code data}. */
  public static JsonNode tree(Object value) {
    return MAPPER.valueToTree(value);
  }

  /** Reads a JSON tree into a type, e.g. an envelope's data into the event's own record. */
  public static <T> T convert(JsonNode node, Class<T> type) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
    }
  }

  private static String abbreviate(String s) {
    return s == null || s.length() <= 80 ? String.valueOf(s) : s.substring(0, 79) + "…";
  }
}
