package workbook.tool.content;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import workbook.tool.base.UserError;

/**
 * The workbook's lists of labs, written from one place: each lab README's title line
 * ("# Lab NN: Title") and the card under it (as LabReadme reads them), an HTML comment a reader
 * of the rendered page never sees:
 *
 * <pre>
 * &lt;!-- lab card: ...
 * concept: one line, the lab's idea (README.md's table, the catalog's description)
 * see: one line, what the learner sees happen (docs/index.md's table)
 * demo: the file with the demo's main (the alias labNN runs it)
 * part: the group of docs/index.md's chart (REST, gRPC, Events, ...)
 * guide: the page of docs/ the lab draws on
 * minutes: the instructor guide's estimate
 * slows: what usually slows people down (the instructor guide)
 * --&gt;
 * </pre>
 *
 * From the cards come the lab aliases of jbang-catalog.json and the regions between
 * {@code <!-- lists:NAME -->} and {@code <!-- /lists:NAME -->} in README.md, docs/index.md,
 * docs/instructor-guide.md and docs/lab-anatomy.md. {@code ./jbang workbook@. lists} writes them;
 * conventions fails, naming the file, when one is out of date.
 */
public final class LabList {
  public static final String COMMAND = "./jbang workbook@. lists";
  static final List<String> KEYS = LabReadme.CARD_KEYS;

  /** One lab's card. */
  record Card(Labs.Lab lab, String title, Map<String, String> fields, int steps) {
    String get(String key) { return fields.getOrDefault(key, ""); }

    String link() { return "labs/" + lab.slug(); }
  }

  private final Labs labs;
  private final List<String> problems = new ArrayList<>();
  private final List<Card> cards = new ArrayList<>();

  public LabList(Labs labs) {
    this.labs = labs;
    for (Labs.Lab lab : labs.all()) card(lab);
  }

  /** Cards that are missing or incomplete, one sentence each; lists are written only without them. */
  public List<String> cardProblems() { return problems; }

  private void card(Labs.Lab lab) {
    LabReadme readme = lab.readme();
    problems.addAll(readme.cardProblems());
    if (!readme.cardProblems().isEmpty() || readme.card().isEmpty() || readme.title().isEmpty()) return;
    cards.add(new Card(lab, readme.title().get(), readme.card().get(), lab.steps()));
  }

  /** Every file the lists live in, with what it should hold: relative path to full text. */
  public Map<String, String> expected() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("jbang-catalog.json", catalog(Labs.read(labs.root.resolve("jbang-catalog.json"))));
    files.put("README.md", region(Labs.read(labs.root.resolve("README.md")), "labs", readmeTable()));
    String index = Labs.read(labs.root.resolve("docs/index.md"));
    files.put("docs/index.md", region(region(index, "chart", chart()), "table", indexTable()));
    files.put("docs/instructor-guide.md", region(Labs.read(labs.root.resolve("docs/instructor-guide.md")), "minutes", guideTable()));
    files.put("docs/lab-anatomy.md", region(Labs.read(labs.root.resolve("docs/lab-anatomy.md")), "slugs", slugs()));
    return files;
  }

  /** The files whose lists are out of date. */
  public List<String> stale() {
    List<String> out = new ArrayList<>();
    expected().forEach((file, text) -> {
      if (!text.equals(Labs.read(labs.root.resolve(file)))) out.add(file);
    });
    return out;
  }

  /** Writes every list; returns the files it changed. */
  public List<String> write() {
    List<String> changed = new ArrayList<>();
    expected().forEach((file, text) -> {
      Path p = labs.root.resolve(file);
      if (text.equals(Labs.read(p))) return;
      try {
        Files.writeString(p, text, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      changed.add(file);
    });
    return changed;
  }

  /** Why a file cannot be written (its markers are missing), or null. */
  public String missingRegion(String file) {
    return switch (file) {
      case "README.md" -> markers(file, "labs");
      case "docs/index.md" -> markers(file, "chart") != null ? markers(file, "chart") : markers(file, "table");
      case "docs/instructor-guide.md" -> markers(file, "minutes");
      case "docs/lab-anatomy.md" -> markers(file, "slugs");
      default -> null;
    };
  }

  private String markers(String file, String name) {
    String text = Labs.read(labs.root.resolve(file));
    return text.contains(open(name)) && text.contains(close(name)) ? null
        : file + " lacks the markers " + open(name) + " and " + close(name) + " around its list of labs.";
  }

  // --- the lists ------------------------------------------------------------------------------

  private String readmeTable() {
    StringBuilder s = new StringBuilder("| # | lab | concept in one line | run |\n|---|---|---|---|\n");
    for (Card c : cards) {
      s.append("| ").append(c.lab().number()).append(" | [").append(c.title()).append("](").append(c.link()).append(") | ")
          .append(c.get("concept")).append(" | `lab").append(c.lab().number()).append("` |\n");
    }
    return s.toString();
  }

  private String indexTable() {
    StringBuilder s = new StringBuilder("| # | lab | you will see happen | read |\n|---|---|---|---|\n");
    for (Card c : cards) {
      s.append("| ").append(c.lab().number()).append(" | [").append(c.title()).append("](../").append(c.link()).append(") | ")
          .append(c.get("see")).append(" | [").append(c.get("guide")).append("](").append(c.get("guide")).append(") |\n");
    }
    return s.toString();
  }

  /** A mermaid flowchart: one subgraph per part, each part's labs in a row, the parts in a chain. */
  private String chart() {
    Map<String, List<Card>> parts = new LinkedHashMap<>();
    for (Card c : cards) parts.computeIfAbsent(c.get("part"), k -> new ArrayList<>()).add(c);
    StringBuilder s = new StringBuilder("```mermaid\nflowchart LR\n");
    List<String> links = new ArrayList<>();
    Card last = null;
    for (Map.Entry<String, List<Card>> part : parts.entrySet()) {
      s.append("  subgraph ").append(part.getKey()).append("\n    ");
      List<String> nodes = new ArrayList<>();
      for (Card c : part.getValue()) nodes.add("L" + c.lab().number() + "[\"" + c.lab().number() + " " + c.title().replace("\"", "'") + "\"]");
      s.append(String.join(" --> ", nodes)).append("\n  end\n");
      if (last != null) links.add("  L" + last.lab().number() + " --> L" + part.getValue().get(0).lab().number() + "\n");
      last = part.getValue().get(part.getValue().size() - 1);
    }
    links.forEach(s::append);
    return s.append("```\n").toString();
  }

  private String guideTable() {
    StringBuilder s = new StringBuilder("| lab | steps | minutes | what usually slows people down |\n|---|---|---|---|\n");
    for (Card c : cards) {
      s.append("| ").append(c.lab().number()).append(" ").append(c.title()).append(" | ").append(c.steps()).append(" | ")
          .append(c.get("minutes")).append(" | ").append(c.get("slows")).append(" |\n");
    }
    return s.toString();
  }

  private String slugs() {
    StringBuilder s = new StringBuilder("Slugs in use:");
    int width = s.length();
    for (int i = 0; i < cards.size(); i++) {
      String word = " " + cards.get(i).lab().slug() + (i == cards.size() - 1 ? "." : ",");
      if (width + word.length() > 96) {
        s.append("\n");
        word = word.strip();
        width = 0;
      }
      s.append(word);
      width += word.length();
    }
    return s.append("\n").toString();
  }

  /** The catalog with its lab aliases written from the cards; every other alias kept as it is. */
  private String catalog(String current) {
    Map<String, Catalog.Alias> aliases = new LinkedHashMap<>();
    for (Card c : cards) {
      String n = c.lab().number();
      aliases.put("lab" + n, new Catalog.Alias(c.link() + "/" + c.get("demo"), "Lab " + n + ": " + c.title() + " (" + c.get("concept") + ")"));
    }
    try {
      return Catalog.parse(current).withLabs(aliases).text();
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  // --- regions in markdown --------------------------------------------------------------------

  static String open(String name) {
    return "<!-- lists:" + name + " (written from the labs' cards by " + COMMAND + "; edit the cards, not this) -->";
  }

  static String close(String name) {
    return "<!-- /lists:" + name + " -->";
  }

  /** The text with the region NAME replaced by body; the text unchanged when it has no such region. */
  private static String region(String text, String name, String body) {
    int from = text.indexOf(open(name));
    int to = text.indexOf(close(name));
    if (from < 0 || to < from) return text;
    // blank lines around the body: markdown ends the comment's block before a table starts
    return text.substring(0, from + open(name).length()) + "\n\n" + body + "\n" + text.substring(to);
  }
}
