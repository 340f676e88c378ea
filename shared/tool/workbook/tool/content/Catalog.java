package workbook.tool.content;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import workbook.tool.base.Json;

/**
 * jbang-catalog.json, read and written as JSON (Jackson, through Json): its aliases, each a script-ref and a
 * description. Written back the way it is laid out in the repository (two-space indent,
 * {@code "key": value}, a newline at the end), so that an unchanged catalog is the same bytes.
 */
public final class Catalog {
  /** One alias: the file it runs (from the workbook's root) and what JBang says of it. */
  public record Alias(String scriptRef, String description) {}

  private final ObjectNode root;

  private Catalog(ObjectNode root) {
    this.root = root;
  }

  /** The catalog in text; a catalog that is not a JSON object is refused in one sentence. */
  public static Catalog parse(String text) {
    try {
      JsonNode node = text.isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(text);
      if (!(node instanceof ObjectNode object)) throw new IllegalArgumentException("jbang-catalog.json is not a JSON object: write it as {\"aliases\": {...}}.");
      return new Catalog(object);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("jbang-catalog.json is not valid JSON (line " + e.getLocation().getLineNr()
          + "): " + e.getOriginalMessage() + "; fix it (git diff jbang-catalog.json shows what changed).");
    }
  }

  /** Every alias in the catalog's order. */
  public Map<String, Alias> aliases() {
    Map<String, Alias> out = new LinkedHashMap<>();
    JsonNode aliases = root.path("aliases");
    for (Map.Entry<String, JsonNode> e : aliases.properties()) {
      JsonNode a = e.getValue();
      out.put(e.getKey(), new Alias(a.path("script-ref").asText(""), a.path("description").asText("")));
    }
    return out;
  }

  /**
   * The catalog with these lab aliases: every other alias kept as it is, first and in its order,
   * then the labs' in the given order (their old entries replaced).
   */
  public Catalog withLabs(Map<String, Alias> labs) {
    ObjectNode copy = root.deepCopy();
    ObjectNode old = root.path("aliases") instanceof ObjectNode o ? o : Json.MAPPER.createObjectNode();
    ObjectNode aliases = Json.MAPPER.createObjectNode();
    for (Map.Entry<String, JsonNode> e : old.properties()) {
      if (!e.getKey().matches("lab\\d\\d")) aliases.set(e.getKey(), e.getValue());
    }
    labs.forEach((name, a) -> {
      ObjectNode entry = aliases.putObject(name);
      entry.put("script-ref", a.scriptRef());
      entry.put("description", a.description());
    });
    copy.set("aliases", aliases);
    return new Catalog(copy);
  }

  /** The text to write: as the repository lays it out. */
  public String text() {
    DefaultIndenter indent = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
        .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
    printer.indentObjectsWith(indent);
    printer.indentArraysWith(indent);
    try {
      return Json.MAPPER.writer(printer).writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
