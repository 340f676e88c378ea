import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The harness's table: one row per measurement, REST and gRPC side by side, and how many times
 * better gRPC did. A cell whose step is not done yet stays empty; the reason is printed once.
 */
final class Table {
  /** A cell: a measurement that may fail while a step is not done yet. */
  interface Measure { double get() throws Exception; }

  private final Set<String> notes = new LinkedHashSet<>();

  void header() {
    System.out.printf("%-42s %13s %13s %10s%n", "", "REST + JSON", "gRPC + proto", "gRPC gain");
  }

  /** One row; the gain is how many times better gRPC did (below 1: REST did better). */
  void row(String label, boolean higherIsBetter, Measure rest, Measure grpc) {
    Double r = attempt(rest), g = attempt(grpc);
    String gain = r == null || g == null || r == 0 || g == 0 ? ""
        : String.format(Locale.ROOT, "x%.1f", higherIsBetter ? g / r : r / g);
    System.out.printf("%-42s %13s %13s %10s%n", label, format(r), format(g), gain);
    System.out.flush();
  }

  /** The measurement, or null when it failed (the first line of why is kept for the footer). */
  Double attempt(Measure m) {
    try {
      return m.get();
    } catch (Exception e) {
      Throwable root = e;
      while (root.getCause() != null) root = root.getCause();
      notes.add(String.valueOf(root.getMessage()).lines().findFirst().orElse(""));
      return null;
    }
  }

  void footer() {
    for (String note : notes) System.out.println("Empty cells: " + note);
  }

  private static String format(Double v) {
    if (v == null) return "-";
    boolean whole = v >= 100 || v == Math.rint(v);
    return String.format(Locale.ROOT, whole ? "%,.0f" : "%.1f", v);
  }
}
