//SOURCES ../../../../src/workbook/json/Jackson.java

package workbook.tool.base;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The tool's one place for JSON: Jackson, at the version shared/src/workbook/json/Jackson.java
 * names for the whole workbook, and one mapper. Through it Catalog reads and writes
 * jbang-catalog.json, and Labs.jbangInfo reads what JBang says it compiles and runs for a file.
 */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}
}
