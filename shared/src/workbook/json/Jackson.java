//DEPS com.fasterxml.jackson.core:jackson-databind:2.22.1
//DEPS com.fasterxml.jackson.datatype:jackson-datatype-jsr310:2.22.1
//DEPS com.fasterxml.jackson.dataformat:jackson-dataformat-yaml:2.22.1
package workbook.json;

/**
 * The one place that names Jackson's version. Javalin (rest), the event envelope (kafka) and the
 * OpenAPI validator (openapi) all read and write JSON through it, so they must agree on it.
 */
public final class Jackson {
  private Jackson() {}
}
