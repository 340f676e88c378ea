package workbook.tool.base;

/** The tool's exit codes, the same cold and through the warm runner (./jbang workbook@. --help lists them). */
public final class Exit {
  private Exit() {}

  public static final int GREEN = 0, RED = 1, USAGE = 2, ENVIRONMENT = 3, INTERNAL = 4;
}
