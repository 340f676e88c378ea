//DEPS org.commonmark:commonmark:0.32.0

package workbook.tool.content;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.commonmark.node.BulletList;
import org.commonmark.node.Document;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.ListItem;
import org.commonmark.node.Node;
import org.commonmark.node.OrderedList;
import org.commonmark.node.SourceSpan;
import org.commonmark.parser.IncludeSourceSpans;
import org.commonmark.parser.Parser;

/**
 * A lab's README.md read once, by a Markdown parser (commonmark-java), into what the tool needs of
 * it: the title ("# Lab NN: Title"), the card (the HTML comment "&lt;!-- lab card: ..." under the
 * title), the steps ("## Step N"), the hints of each step by tier (the numbered items under
 * "### Step N" in "## Hints", each folded in a {@code <details>} of its own) and the rules of
 * "## What the tests check". Labs, Hints, LabList, Conventions and verify all read a README
 * through this one model, so they cannot disagree on what it says.
 *
 * <p>Texts are the README's own lines (Markdown as written, continuation lines joined with a
 * space); line numbers count from 1. Everything a README gets wrong is one sentence in
 * {@link #cardProblems()} (title and card, which the lists of labs need) or {@link #problems()}
 * (the rest), naming the file and line and what to fix.
 */
public final class LabReadme {
  /** A "## Step N" section: its number, its heading as written (without "## ") and its line. */
  public record Step(int number, String heading, int line) {}

  /** One hint: its tier (the item's number as written), its text, its line, and whether a {@code <details>} folds it. */
  public record Tier(int number, String text, int line, boolean folded) {}

  /** One rule of "## What the tests check": its text and its line. */
  public record Rule(String text, int line) {}

  /** The keys every card has, in the order CONTRIBUTING.md lists them. */
  public static final List<String> CARD_KEYS = List.of("concept", "see", "demo", "part", "guide", "minutes", "slows");

  private static final Parser PARSER = Parser.builder().includeSourceSpans(IncludeSourceSpans.BLOCKS).build();
  private static final Pattern STEP = Pattern.compile("Step (\\d+)\\b.*");
  private static final Pattern HINT_STEP = Pattern.compile("Step\\s+(\\d+)\\b.*");
  private static final Pattern ITEM = Pattern.compile("^\\s*(\\d+)[.)]\\s+(.*)$");
  private static final Pattern BULLET = Pattern.compile("^\\s*[-*+]\\s+(.*)$");
  private static final Pattern TIER_LINE = Pattern.compile("^\\s*([1-9])\\. ");

  private final String where;
  private final String number;
  private final Path dir;
  private final List<String> lines;
  private String titleLine = null; // the first line's heading text, when it is a level-1 heading
  private String title = null; // the "Title" of "# Lab NN: Title"
  private Map<String, String> card = null;
  private final List<Step> steps = new ArrayList<>();
  private final Map<Integer, Integer> hintSteps = new LinkedHashMap<>(); // step -> line of its "### Step N"
  private final Map<Integer, List<Tier>> hints = new LinkedHashMap<>();
  private final List<Rule> rules = new ArrayList<>();
  private boolean hasHints = false;
  private boolean hasRules = false;
  private final List<String> cardProblems = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  private LabReadme(String where, String number, Path dir, String text) {
    this.where = where;
    this.number = number;
    this.dir = dir;
    this.lines = text.lines().toList();
    read((Document) PARSER.parse(text));
  }

  /**
   * The README's text as a lab numbered NUMBER has it; where names the file in problems (a path
   * from the workbook's root) and dir is the lab's folder (where the card's demo must be), or null.
   */
  public static LabReadme parse(String where, String number, Path dir, String text) {
    return new LabReadme(where, number, dir, text);
  }

  private record Cached(FileTime modified, long size, LabReadme readme) {}

  private static final Map<Path, Cached> CACHE = new ConcurrentHashMap<>();

  /**
   * The README at file (of lab NUMBER, named where in problems), parsed again only when the file
   * changed: the warm runner lives for hours.
   */
  public static LabReadme of(Path file, String where, String number) {
    file = file.toAbsolutePath();
    FileTime modified;
    long size;
    try {
      modified = Files.getLastModifiedTime(file);
      size = Files.size(file);
    } catch (IOException e) {
      return parse(where, number, file.getParent(), "");
    }
    Cached c = CACHE.get(file);
    if (c != null && c.modified().equals(modified) && c.size() == size && c.readme().where.equals(where)) return c.readme();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      text = "";
    }
    LabReadme readme = parse(where, number, file.getParent(), text);
    CACHE.put(file, new Cached(modified, size, readme));
    return readme;
  }

  // --- what it says ---------------------------------------------------------------------------

  /** "Title" of "# Lab NN: Title"; without that line, the first heading (less any "Lab N:"), if any. */
  public Optional<String> title() {
    if (title != null) return Optional.of(title);
    return Optional.ofNullable(titleLine).map(t -> t.replaceFirst("^Lab \\d+:\\s*", "")).filter(t -> !t.isBlank());
  }

  /** The card's lines (key to value), when it has a card. */
  public Optional<Map<String, String>> card() {
    return Optional.ofNullable(card).map(Collections::unmodifiableMap);
  }

  /** The "## Step N" sections in order. */
  public List<Step> steps() {
    return Collections.unmodifiableList(steps);
  }

  /** Step n's hints in tier order as written, or none. */
  public List<Tier> hints(int n) {
    return hints.getOrDefault(n, List.of());
  }

  /** The rules of "## What the tests check". */
  public List<Rule> rules() {
    return Collections.unmodifiableList(rules);
  }

  /** Line n (from 1) as written, or "" past the end. */
  public String line(int n) {
    return n >= 1 && n <= lines.size() ? lines.get(n - 1) : "";
  }

  /** What is wrong with the title or the card, one sentence each (the lists of labs cannot be written then). */
  public List<String> cardProblems() {
    return Collections.unmodifiableList(cardProblems);
  }

  /** What else is wrong: steps, hints, rules; one sentence each, naming the file and line. */
  public List<String> problems() {
    return Collections.unmodifiableList(problems);
  }

  // --- reading --------------------------------------------------------------------------------

  /** Which H2 section a block is in. */
  private enum Section { OTHER, HINTS, RULES }

  private void read(Document doc) {
    title(doc.getFirstChild());
    Section section = Section.OTHER;
    Folds folds = null;
    int rulesLine = 0;
    for (Node block = doc.getFirstChild(); block != null; block = block.getNext()) {
      if (card == null && block instanceof HtmlBlock html && html.getLiteral().contains("<!-- lab card:")) card(html);
      if (block instanceof Heading h) {
        if (folds != null) folds.heading(h);
        if (h.getLevel() > 2) {
          if (section == Section.HINTS) folds.step(headingText(h), line(h));
          continue;
        }
        if (folds != null) folds.end();
        folds = null;
        section = Section.OTHER;
        String text = headingText(h);
        Matcher step = STEP.matcher(text);
        if (h.getLevel() == 2 && step.matches()) steps.add(new Step(Integer.parseInt(step.group(1)), text, line(h)));
        if (h.getLevel() == 2 && text.equalsIgnoreCase("Hints")) {
          section = Section.HINTS;
          hasHints = true;
          folds = new Folds(line(h));
        } else if (h.getLevel() == 2 && text.toLowerCase().startsWith("hints")) {
          problem(line(h), "a heading \"## " + text + "\" is not read as the hints: write it as \"## Hints\"");
        }
        if (h.getLevel() == 2 && text.equalsIgnoreCase("What the tests check")) {
          section = Section.RULES;
          hasRules = true;
          rulesLine = line(h);
        }
        continue;
      }
      if (section == Section.HINTS) folds.block(block);
      if (section == Section.RULES && block instanceof BulletList list) {
        for (Node item = list.getFirstChild(); item != null; item = item.getNext()) {
          Matcher m = BULLET.matcher(itemText(item));
          rules.add(new Rule(m.matches() ? m.group(1) : itemText(item).strip(), line(item)));
        }
      }
    }
    if (folds != null) folds.end();
    checkSteps();
    if (!hasRules) {
      problems.add(where + " has no \"## What the tests check\" section: list there each rule of the lab and the tests that"
          + " check it (docs/lab-anatomy.md, \"README of a lab\").");
    } else if (rules.isEmpty()) {
      problem(rulesLine, "\"## What the tests check\" has no list: write each rule as a line \"- ...\"");
    }
  }

  private void title(Node first) {
    if (first instanceof Heading h && h.getLevel() == 1 && line(h) == 1) {
      titleLine = headingText(h);
      Matcher m = Pattern.compile("^Lab " + Pattern.quote(number) + ": (.+)$").matcher(titleLine);
      if (m.matches()) title = m.group(1).strip();
    }
    if (title == null) cardProblems.add(where + ":1: the first line should be \"# Lab " + number + ": Title\".");
  }

  private void card(HtmlBlock html) {
    String literal = html.getLiteral();
    int end = literal.indexOf("-->");
    String body = literal.substring(literal.indexOf('\n') + 1, end < 0 ? literal.length() : end);
    card = new LinkedHashMap<>();
    for (String line : body.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) card.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
    }
  }

  private void checkSteps() {
    if (title != null) {
      if (card == null) {
        cardProblems.add(where + " has no lab card (an HTML comment \"<!-- lab card: ...\" under the title, with "
            + String.join(", ", CARD_KEYS) + "; see CONTRIBUTING.md, \"Add a lab\").");
      } else {
        for (String key : CARD_KEYS) {
          if (card.getOrDefault(key, "").isEmpty()) cardProblems.add(where + "'s lab card has no \"" + key + ": ...\" line.");
        }
        String demo = card.getOrDefault("demo", "");
        if (!demo.isEmpty() && dir != null && !Files.exists(dir.resolve(demo))) {
          cardProblems.add(where + "'s lab card names demo " + demo + ", which is not a file of " + where.replaceFirst("/README\\.md$", "") + ".");
        }
      }
    }
    int expect = 1;
    Map<Integer, Integer> seen = new LinkedHashMap<>();
    for (Step s : steps) {
      Integer before = seen.putIfAbsent(s.number(), s.line());
      if (before != null) {
        problem(s.line(), "a second \"## Step " + s.number() + "\" (the first is line " + before + "): number the steps 1, 2, 3 in order");
        continue;
      }
      if (s.number() != expect) problem(s.line(), "\"## Step " + s.number() + "\" should be step " + expect + " (steps count 1, 2, 3, ...)");
      expect = s.number() + 1;
    }
    for (Map.Entry<Integer, Integer> h : hintSteps.entrySet()) {
      Set<Integer> tiers = new TreeSet<>();
      for (Tier t : hints(h.getKey())) tiers.add(t.number());
      for (int tier = 1; tier <= 3; tier++) {
        if (!tiers.contains(tier)) problem(h.getValue(), "the hints of step " + h.getKey() + " have no tier " + tier + " (a line \"" + tier + ". ...\")");
      }
    }
    Set<Integer> numbers = new TreeSet<>();
    steps.forEach(s -> numbers.add(s.number()));
    Set<Integer> missing = new TreeSet<>(numbers);
    missing.removeAll(hintSteps.keySet());
    Set<Integer> extra = new TreeSet<>(hintSteps.keySet());
    extra.removeAll(numbers);
    String what = where + "'s hints (### Step N under ## Hints)";
    if (!missing.isEmpty()) problems.add(what + " miss step(s) " + missing + " that the README has.");
    if (!extra.isEmpty()) problems.add(what + " name step(s) " + extra + " that the README has no \"## Step N\" for.");
  }

  /**
   * The "## Hints" section, block by block. Hints wait to be asked: every tier is folded in a
   * {@code <details>} of its own (one tier each, so opening one never shows the next), nothing of
   * a step's hints is shown outside one (least of all code), and the section says, before its
   * first step, that {@code hint NN} gives them one at a time. A reader scrolling to the next step
   * then never sees this one's answer.
   */
  private final class Folds {
    private final int hintsLine;
    private boolean intro = true;
    private boolean saysHowToAsk = false;
    private int open = -1; // the line of the <details> we are in, or -1
    private final List<Integer> tiersInFold = new ArrayList<>();
    private String step = null;
    private Integer stepNumber = null;
    private boolean stepReported = false;

    Folds(int hintsLine) { this.hintsLine = hintsLine; }

    /** Any heading: a fold still open ends there. */
    void heading(Heading h) {
      if (open >= 0) {
        problem(open, "a <details> of the hints is never closed before \"" + "#".repeat(h.getLevel()) + " " + headingText(h) + "\": add </details>");
        open = -1;
      }
    }

    /** A "### ..." under "## Hints": step n's hints follow when it says "Step n". */
    void step(String heading, int line) {
      intro = false;
      step = heading;
      stepReported = false;
      Matcher m = HINT_STEP.matcher(heading);
      stepNumber = m.matches() ? Integer.parseInt(m.group(1)) : null;
      if (stepNumber != null) {
        hintSteps.putIfAbsent(stepNumber, line);
        hints.putIfAbsent(stepNumber, new ArrayList<>());
      }
    }

    void block(Node block) {
      if (block instanceof HtmlBlock) {
        for (int line : lineNumbers(block)) html(line, lines.get(line - 1).strip());
        return;
      }
      if (block instanceof OrderedList list) {
        for (Node item = list.getFirstChild(); item != null; item = item.getNext()) {
          Matcher m = ITEM.matcher(itemText(item));
          int tier = m.matches() ? Integer.parseInt(m.group(1)) : 0;
          String text = m.matches() ? m.group(2) : itemText(item);
          if (stepNumber != null) hints.get(stepNumber).add(new Tier(tier, text, line(item), open >= 0));
          if (open >= 0) {
            tiersInFold.add(tier);
            if (tiersInFold.size() == 2) {
              problem(line(item), "one <details> holds hints " + tiersInFold.get(0) + " and " + tiersInFold.get(1)
                  + ": opening the first shows the next; fold each in its own <details>");
            }
          }
        }
      }
      if (open >= 0) return;
      String first = lines.get(line(block) - 1).strip();
      if (intro) {
        if (text(block).contains("workbook@. hint " + number)) saysHowToAsk = true;
        if (block instanceof OrderedList || block instanceof FencedCodeBlock || block instanceof IndentedCodeBlock) {
          problem(line(block), "a hint or code under \"## Hints\" outside any <details>: a reader sees it unasked;"
              + " put it under its \"### Step N\", folded in <details>");
        }
        return;
      }
      if (!stepReported) {
        stepReported = true;
        boolean code = first.contains("`") || block instanceof FencedCodeBlock || block instanceof IndentedCodeBlock;
        problem(line(block), "the hints of \"" + step + "\" show " + (code ? "code" : "text")
            + " outside <details>, so reading the step shows its answer: fold each tier in its own"
            + " <details><summary>Hint N</summary> ... </details>");
      }
    }

    /** One line of an HTML block: the folds open and close here. */
    private void html(int line, String t) {
      if (t.startsWith("<details")) {
        if (open >= 0) problem(line, "a <details> inside another one: fold each hint once");
        open = line;
        tiersInFold.clear();
        if (t.contains("<summary>") && t.contains("`")) summaryWithCode(line);
      } else if (t.startsWith("</details>")) {
        open = -1;
      } else if (t.startsWith("<summary>")) {
        if (t.contains("`")) summaryWithCode(line);
      } else if (TIER_LINE.matcher(t).find() && !intro) {
        problem(line, "the hint \"" + t + "\" is inside an HTML block, so it is shown as raw text and hint "
            + number + " never gives it: leave a blank line after <details><summary>...</summary>");
      }
    }

    private void summaryWithCode(int line) {
      problem(line, "a <summary> with code in it shows that code unasked: name the hint (\"Hint 2: the approach\") instead");
    }

    /** The section ends (another "## ..." or the end of the file). */
    void end() {
      if (open >= 0) {
        problem(open, "a <details> of the hints is never closed before the end of the file: add </details>");
        open = -1;
      }
      if (!saysHowToAsk) {
        problem(hintsLine, "the hints do not say that ./jbang workbook@. hint " + number
            + " gives them one at a time (a sentence under \"## Hints\", before \"### Step 1\")");
      }
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  private void problem(int line, String what) {
    problems.add(where + ":" + line + ": " + what + ".");
  }

  /** The first line of a block, from 1. */
  private static int line(Node block) {
    List<SourceSpan> spans = block.getSourceSpans();
    return spans.isEmpty() ? 1 : spans.get(0).getLineIndex() + 1;
  }

  /** Every line of a block, from 1. */
  private static List<Integer> lineNumbers(Node block) {
    Set<Integer> out = new TreeSet<>();
    for (SourceSpan s : block.getSourceSpans()) out.add(s.getLineIndex() + 1);
    return new ArrayList<>(out);
  }

  /** A block's lines as written, stripped, blank ones left out, joined with a space. */
  private String text(Node block) {
    List<String> parts = new ArrayList<>();
    for (int line : lineNumbers(block)) {
      String t = lines.get(line - 1).strip();
      if (!t.isEmpty()) parts.add(t);
    }
    return String.join(" ", parts);
  }

  /** A list item's text with its marker ("1. ", "- "), continuation lines joined. */
  private String itemText(Node item) {
    return item instanceof ListItem ? text(item) : "";
  }

  /** A heading's text as written, without its "#"s. */
  private String headingText(Heading h) {
    return lines.get(line(h) - 1).strip().replaceFirst("^#+\\s*", "").replaceFirst("\\s+#+$", "").strip();
  }
}
