package workbook.tool.verify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;

/**
 * The message report: for every lab, the first failure message a learner reads at each step of
 * the starter and with each catalogued mistake, side by side, so a maintainer reads them all at
 * once. Verify already runs the starter and every mistake: it records each first message in
 * .workbook/messages/NN.tsv as it goes (nothing is run again for the report), and a lab whose
 * first messages do not all name their step ("TODO N" or "step N"; on the starter, a later step
 * may name the earlier one whose TODO stops it) fails verify.
 * {@code ./jbang workbook@. messages [NN...]} prints the recorded messages and checks them.
 */
public final class Messages {
  /** One first message: whose (the starter, or a mistake by name), at which step, and what it said. */
  record Row(String kind, String name, int step, String message) {
    /**
     * A mistake's message names its own step. On the untouched starter a later step's test may
     * fail on an earlier step's unwritten TODO, and naming that step is the real cause: any step up
     * to its own will do there.
     */
    boolean namesStep() {
      if (!kind.equals("starter")) return Messages.namesStep(message, step);
      for (int n = 1; n <= step; n++) if (Messages.namesStep(message, n)) return true;
      return false;
    }

    String who() { return kind.equals("starter") ? "(starter)" : name; }
  }

  /** Written by verify's child JVM beside mistakes.tsv: each mistake's first message at its step. */
  static final String MISTAKE_FILE = "mistake-messages.tsv";

  private Messages() {}

  /** Whether a message names step n: "TODO n" or "step n" (any case), as a whole number. */
  static boolean namesStep(String message, int n) {
    return Pattern.compile("(?i)\\b(TODO|step)\\s+" + n + "\\b").matcher(message).find();
  }

  static Path file(Path root, String number) {
    return root.resolve(".workbook/messages/" + number + ".tsv");
  }

  /**
   * After verify's run of one lab (its out folder holds starter.tsv and, if the mistakes ran,
   * mistake-messages.tsv): the first messages, written to .workbook/messages/NN.tsv (whole, or not
   * at all). Returns them; empty when the starter's tests left no results.
   */
  static List<Row> record(Path root, Labs.Lab lab, Path out) {
    List<Row> rows = new ArrayList<>();
    Optional<Results> starter = Results.read(out.resolve("starter.tsv"));
    if (starter.isEmpty() || starter.get().rows().isEmpty()) return rows;
    for (String step : starter.get().steps()) {
      List<String> failed = starter.get().failureMessages(step);
      if (!failed.isEmpty()) rows.add(new Row("starter", "starter", Results.num(step), failed.get(0)));
    }
    for (String line : Labs.read(out.resolve(MISTAKE_FILE)).split("\\R")) {
      String[] c = line.split("\t", 3);
      if (c.length == 3 && !c[2].isBlank()) rows.add(new Row("mistake", c[0], Integer.parseInt(c[1]), c[2]));
    }
    rows.sort(java.util.Comparator.comparingInt(Row::step)); // stable: the starter, then the mistakes by name
    List<String> lines = new ArrayList<>();
    for (Row r : rows) lines.add(r.kind() + "\t" + r.name() + "\t" + r.step() + "\t" + r.message());
    Path file = file(root, lab.number());
    try {
      Files.createDirectories(file.getParent());
      Path partial = Files.createTempFile(file.getParent(), lab.number() + "-", ".partial");
      Files.write(partial, lines, StandardCharsets.UTF_8);
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      System.out.println("    (the first messages of lab " + lab.number() + " could not be saved in " + file + ": " + e.getMessage() + ")");
    }
    return rows;
  }

  static Optional<List<Row>> read(Path root, String number) {
    Path file = file(root, number);
    if (!Files.exists(file)) return Optional.empty();
    List<Row> rows = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String[] c = line.split("\t", 4);
        if (c.length == 4) rows.add(new Row(c[0], c[1], Integer.parseInt(c[2]), c[3]));
      }
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    return Optional.of(rows);
  }

  /** The rows that do not name their step, one line each, for verify's verdict. */
  static List<String> unnamed(List<Row> rows) {
    return rows.stream().filter(r -> !r.namesStep())
        .map(r -> "step " + r.step() + " " + r.who() + ": " + Mistakes.shorten(r.message())).toList();
  }

  /** {@code messages [NN...] [--run]}: the recorded first messages, checked; --run verifies those labs first. */
  public static int command(Labs labs, List<String> args) {
    List<Labs.Lab> chosen = new ArrayList<>();
    boolean run = false;
    for (String a : args) {
      if (a.equals("--run")) run = true;
      else chosen.add(labs.lab(a));
    }
    if (chosen.isEmpty()) chosen = labs.all();
    if (run) {
      List<String> numbers = chosen.stream().map(Labs.Lab::number).toList();
      System.out.println("Verifying lab(s) " + String.join(", ", numbers) + " first, to record their messages...");
      new Verify(labs).run(numbers);
    }
    int total = 0;
    int bad = 0;
    List<String> missing = new ArrayList<>();
    for (Labs.Lab lab : chosen) {
      Optional<List<Row>> rows = read(labs.root, lab.number());
      if (rows.isEmpty()) {
        missing.add(lab.number());
        continue;
      }
      System.out.println("Lab " + lab.number() + ": " + lab.title() + " (as its last verify recorded them)");
      int step = -1;
      for (Row r : rows.get()) {
        if (r.step() != step) {
          step = r.step();
          System.out.println("  step " + step);
        }
        total++;
        if (!r.namesStep()) bad++;
        System.out.printf("    %s %-34s %s%n", r.namesStep() ? "✔" : "✘", r.who(), shorten(r.message(), 240)
            + (r.namesStep() ? "" : "   <- does not name step " + r.step()));
      }
    }
    if (!missing.isEmpty()) {
      System.out.println("No messages recorded yet for lab(s) " + String.join(", ", missing)
          + ": ./jbang workbook@. verify " + String.join(" ", missing) + " records them (or messages --run).");
    }
    if (total > 0) {
      System.out.println(total + " first messages, " + bad + (bad == 1 ? " does" : " do") + " not name their step"
          + (bad == 0 ? "." : " (\"TODO N\" or \"step N\"): each is marked above."));
    }
    return bad == 0 && missing.isEmpty() ? 0 : 1;
  }

  private static String shorten(String s, int max) {
    return s.length() > max ? s.substring(0, max - 3) + "..." : s;
  }
}
