package workbook.tool.content;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The per-test results the test launcher writes (one line: step, status, name, and a failure's
 * message on one line), read back to
 * show a lab's status, find its first unfinished step, and check verify's invariants.
 */
public record Results(List<String[]> rows) {

  public static Path file(Path root, Labs.Lab lab) {
    Path dir = root.resolve(".workbook/results");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create " + dir, e);
    }
    return dir.resolve(lab.number() + ".tsv");
  }

  /** Replaces, in the results file, the rows of the steps that the partial file holds (one atomic move). */
  static void merge(Path results, Path partial) {
    Optional<Results> part = read(partial);
    if (part.isEmpty()) return;
    Set<String> rerun = new TreeSet<>();
    part.get().rows().forEach(r -> rerun.add(r[0]));
    List<String> lines = new ArrayList<>();
    read(results).ifPresent(old -> old.rows().stream().filter(r -> !rerun.contains(r[0]))
        .forEach(r -> lines.add(String.join("\t", r))));
    part.get().rows().forEach(r -> lines.add(String.join("\t", r)));
    try {
      Files.write(partial, lines);
      moveIntoPlace(partial, results);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not update " + results, e);
    }
  }

  /** A complete file replaces the results at once: a reader (or a Ctrl-C) never sees half of one. */
  static void moveIntoPlace(Path complete, Path results) throws IOException {
    try {
      Files.move(complete, results, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(complete, results, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public static final String INTERRUPTED = "Interrupted: this run of lab %s is not recorded; its last complete result is kept"
      + " (./jbang workbook@. list shows it).";

  /**
   * One run's results: the test launcher writes them to a new file of their own, moved into place
   * only when the run is complete. A run interrupted on the way (Ctrl-C ends the JVM: this
   * object's shutdown hook runs; or the test JVM was ended by a signal) records nothing, says so
   * in one line, and the lab's last complete result stays.
   */
  public static final class Pending implements AutoCloseable {
    private static final java.util.concurrent.atomic.AtomicInteger COUNT = new java.util.concurrent.atomic.AtomicInteger();
    private final Path results;
    private final String lab;
    public final Path file;
    private final Thread hook = new Thread(this::interrupted, "results-interrupted");
    private boolean settled;

    public Pending(Path results, String lab) {
      this.results = results;
      this.lab = lab;
      sweep(results.getParent(), lab);
      // The name starts with the lab's number: the launcher names the story page after it (NN.html).
      file = results.resolveSibling(lab + ".partial-" + ProcessHandle.current().pid() + "-" + COUNT.incrementAndGet() + ".tsv");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The run was interrupted: nothing moves into place. Says so once. */
    public synchronized void interrupted() {
      if (settled) return;
      settled = true;
      deleteQuietly(file);
      System.out.println(INTERRUPTED.formatted(lab));
      System.out.flush();
    }

    /** The run is complete: its results replace the lab's, or (one step's run) that step's rows. */
    public synchronized void commit(boolean onlyItsSteps) {
      if (settled) return;
      settled = true;
      try {
        if (onlyItsSteps) merge(results, file);
        else if (Files.exists(file)) moveIntoPlace(file, results);
      } catch (IOException e) {
        throw new UncheckedIOException("Could not record the results in " + results, e);
      }
    }

    @Override
    public void close() {
      synchronized (this) {
        if (!settled) {
          settled = true; // a wrong step number, or an error: nothing to record
          deleteQuietly(file);
        }
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs, and finds the run settled
      }
    }

    /** Partial files of runs whose JVM is gone (killed outright): they are no result of anyone's. */
    private static void sweep(Path dir, String lab) {
      try (var files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.getFileName().toString().startsWith(lab + ".partial-")).toList()) {
          String[] parts = f.getFileName().toString().split("[-.]");
          long pid = parts.length > 2 && parts[2].matches("\\d+") ? Long.parseLong(parts[2]) : -1;
          if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == false) {
            deleteQuietly(f);
          }
        }
      } catch (IOException ignored) {
        // nothing to sweep
      }
    }

    private static void deleteQuietly(Path f) {
      try {
        Files.deleteIfExists(f);
      } catch (IOException ignored) {
        // a leftover partial file is swept by the next run
      }
    }
  }

  /** Records a run that left no results (it did not compile, or it was stopped) as one red row. */
  public static void markUnfinished(Path file, boolean stopped) {
    String why = stopped ? "the run was stopped: it never finished" : "it did not compile or did not start";
    try {
      Files.writeString(file, "given\tfailed\t(" + why + ")\t" + why + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write " + file, e);
    }
  }

  /** Forgets a lab's last results (after reset or restore, they describe other files). */
  public static void forget(Path root, Labs.Lab lab) {
    try {
      Files.deleteIfExists(root.resolve(".workbook/results/" + lab.number() + ".tsv"));
    } catch (IOException ignored) {
      // list then shows an older status; nothing else depends on it
    }
  }

  public static Optional<Results> last(Path root, Labs.Lab lab) {
    return read(root.resolve(".workbook/results/" + lab.number() + ".tsv"));
  }

  public static Optional<Results> read(Path file) {
    if (!Files.exists(file)) return Optional.empty();
    try {
      List<String[]> rows = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        String[] cols = line.split("\t", 4);
        if (cols.length >= 3) rows.add(cols);
      }
      return Optional.of(new Results(rows));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public long count(String status) {
    return rows.stream().filter(r -> r[1].equals(status)).count();
  }

  public boolean green() {
    return !rows.isEmpty() && count("failed") == 0 && count("passed") > 0;
  }

  public String summary() {
    return count("passed") + " passed, " + count("failed") + " failed";
  }

  /** Each failing test as "its name: its message", in run order. */
  public List<String> failures() {
    return rows.stream().filter(r -> r[1].equals("failed"))
        .map(r -> (r.length > 2 ? r[2] : "?") + (r.length > 3 && !r[3].isBlank() ? ": " + r[3] : "")).toList();
  }

  /** Steps (step1, step2, ...) in number order. */
  public Set<String> steps() {
    Set<String> steps = new TreeSet<>((a, b) -> Integer.compare(num(a), num(b)));
    rows.stream().map(r -> r[0]).filter(s -> s.startsWith("step")).forEach(steps::add);
    return steps;
  }

  public boolean stepFailed(String step) {
    return rows.stream().anyMatch(r -> r[0].equals(step) && r[1].equals("failed"));
  }

  /** The messages of the failing tests of one step ("step2"), in run order. */
  public List<String> failureMessages(String step) {
    return rows.stream().filter(r -> r[0].equals(step) && r[1].equals("failed"))
        .map(r -> r.length > 3 ? r[3] : "").toList();
  }

  /** The first step with a failing test, if any. */
  public Optional<String> firstRedStep() {
    return steps().stream().filter(this::stepFailed).findFirst();
  }

  /** Tests that fail outside any step: the given part of the lab is broken. */
  public List<String> failingGiven() {
    return rows.stream().filter(r -> r[0].equals("given") && r[1].equals("failed")).map(r -> r[2]).toList();
  }

  public static int num(String step) {
    return Integer.parseInt(step.replaceAll("\\D", ""));
  }
}
