import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import workbook.tool.content.LabReadme;
import workbook.tool.content.Labs;
import workbook.tool.content.Results;

/**
 * Hints in tiers, like a good teaching assistant: the first ask gets a question that nudges,
 * the next the approach, the last where to read more and how to see the solution. They are the
 * numbered items under "### Step N" in the "## Hints" section of the lab's README, each folded
 * in a {@code <details>} of its own so that reading the page never shows an answer unasked
 * (conventions checks it). The README is read by LabReadme, as everywhere in the tool.
 */
final class Hints {
  private Hints() {}

  static int next(Labs labs, Labs.Lab lab) {
    String step = Results.last(labs.root, lab).flatMap(Results::firstRedStep).orElse(null);
    if (step == null && Results.last(labs.root, lab).map(Results::green).orElse(false)) {
      System.out.println("Lab " + lab.number() + " is green: no hint needed. Next: ./jbang workbook@. list");
      return 0;
    }
    if (step == null) step = "step1";
    int n = Results.num(step);
    List<String> tiers = lab.readme().hints(n).stream().map(LabReadme.Tier::text).toList();
    if (tiers.isEmpty()) {
      System.out.println("Lab " + lab.number() + " has no hints for step " + n + ": read its README's Step " + n + ".");
      return 0;
    }
    Path counter = labs.root.resolve(".workbook/hints/" + lab.number() + "-" + step);
    int tier = Math.min(readInt(counter), tiers.size() - 1);
    System.out.println("Lab " + lab.number() + ", step " + n + ", hint " + (tier + 1) + " of " + tiers.size() + ":");
    System.out.println("  " + tiers.get(tier));
    if (tier + 1 < tiers.size()) {
      System.out.println("(Ask again for the next hint: ./jbang workbook@. hint " + lab.number() + ")");
    } else {
      System.out.println("(That was the last hint. ./jbang workbook@. solution " + lab.number() + " shows the answer.)");
    }
    writeInt(counter, tier + 1);
    return 0;
  }

  private static int readInt(Path p) {
    try {
      return Integer.parseInt(Files.readString(p).trim());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  private static void writeInt(Path p, int value) {
    try {
      Files.createDirectories(p.getParent());
      Files.writeString(p, Integer.toString(value));
    } catch (IOException ignored) {
      // a hint counter that is not saved only means the same hint comes again
    }
  }
}
