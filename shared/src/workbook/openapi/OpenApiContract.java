//DEPS com.networknt:json-schema-validator:2.0.8
//SOURCES ../json/*.java
package workbook.openapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.NonValidationKeyword;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An OpenAPI 3.1 document used as a contract: it finds the schema one response promises (path,
 * method, status, media type) and checks a body against it with a real JSON Schema validator
 * (networknt, OpenAPI 3.1 dialect), resolving {@code $ref}s inside the document.
 */
public final class OpenApiContract {
  // The validator knows the document under this name only: nothing is ever fetched over the network.
  private static final String DOCUMENT_IRI = "https://workbook.invalid/openapi.json";
  // The document's own top-level fields are not schema keywords: naming them keeps the validator
  // quiet about them, while it still warns about a misspelt keyword inside a schema.
  private static final Dialect DIALECT = Dialect.builder(Dialects.getOpenApi31())
      .keywords(Stream.of("openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
          "components", "security", "tags", "externalDocs").map(NonValidationKeyword::new).toList())
      .build();
  private final JsonNode document;
  private final SchemaRegistry registry;

  private OpenApiContract(JsonNode document) {
    this.document = document;
    this.registry = SchemaRegistry.withDialect(DIALECT,
        builder -> builder.schemas(Map.of(DOCUMENT_IRI, document.toString())));
  }

  /** Reads a document written in YAML or JSON (JSON is valid YAML). */
  public static OpenApiContract parse(String text) {
    try {
      return new OpenApiContract(new YAMLMapper().readTree(text));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("The OpenAPI document is not valid YAML/JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The document's {@code openapi} field, e.g. "3.1.0"; empty if missing. */
  public String openapiVersion() {
    return document.path("openapi").asText("");
  }

  /** True when the document describes this response (a schema for path, method, status, type). */
  public boolean describes(String method, String path, int status, String mediaType) {
    return !document.at(pointer(method, path, status, mediaType)).isMissingNode();
  }

  /**
   * What is wrong with a response body according to the contract: one line per problem, empty
   * when the body conforms. {@code path} is the template as written in the document.
   */
  public List<String> problems(String method, String path, int status, String mediaType, String body) {
    if (!describes(method, path, status, mediaType)) {
      throw new IllegalArgumentException("The contract has no schema for " + method + " " + path + " -> "
          + status + " " + mediaType);
    }
    Schema schema = registry.getSchema(SchemaLocation.of(DOCUMENT_IRI + "#" + pointer(method, path, status, mediaType)));
    return schema.validate(body, InputFormat.JSON).stream().map(Error::toString).toList();
  }

  private static String pointer(String method, String path, int status, String mediaType) {
    return "/paths/" + escape(path) + "/" + method.toLowerCase(Locale.ROOT) + "/responses/" + status
        + "/content/" + escape(mediaType) + "/schema";
  }

  /** JSON Pointer escaping (RFC 6901): "~" becomes "~0" and "/" becomes "~1". */
  private static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }
}
