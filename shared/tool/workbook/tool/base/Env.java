package workbook.tool.base;

/** The tool's settings read from WORKBOOK_* environment variables. */
public final class Env {
  private Env() {}

  /**
   * A number the person set in an environment variable, or its default when unset: one rule for
   * every such variable, a bad value is refused in one sentence (exit 2), never silently replaced.
   */
  public static long number(String name, long fallback, long min, String meaning) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) return fallback;
    try {
      long n = Long.parseLong(value.strip());
      if (n >= min) return n;
    } catch (NumberFormatException e) {
      // said below
    }
    throw new UserError(name + " must be a whole number of at least " + min + " (" + meaning + "): it is '" + value + "'.");
  }
}
