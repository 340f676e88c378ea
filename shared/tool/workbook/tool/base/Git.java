package workbook.tool.base;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The little of git the tool needs: what the learner changed, and how to put it back. */
public final class Git {
  private Git() {}

  /**
   * The commit the workbook was shipped as: where the learner's branch leaves the one it was
   * cloned from (its upstream, else origin's default branch), so that what the learner committed
   * since counts as theirs; HEAD when the clone has no remote to tell.
   */
  static String shipped(Path root) {
    for (String upstream : List.of("@{upstream}", "refs/remotes/origin/HEAD", "refs/remotes/origin/main", "refs/remotes/origin/master")) {
      if (git(root, "rev-parse", "--verify", "-q", upstream).exit != 0) continue;
      Result base = git(root, "merge-base", "HEAD", upstream);
      if (base.exit == 0 && !base.out.isBlank()) return base.out.strip();
    }
    return "HEAD";
  }

  /** Tracked files under path that differ from the starter as shipped (committed since, or not), and that it has. */
  public static List<String> changedFiles(Path root, String path) {
    Result r = git(root, "diff", "--name-only", "--diff-filter=a", shipped(root), "--", path);
    if (r.exit != 0) {
      throw new UserError("This copy of the workbook is not a git clone, so the starter cannot be"
          + " restored from it: clone it with git, or copy the lab's files again from a fresh download.");
    }
    return r.lines();
  }

  /** The workbook's version: git describe, or the VERSION file of a copy without git; "(unknown)" when neither says. */
  public static String workbookVersion(Path root) {
    try {
      java.util.Optional<String> described = describe(root);
      if (described.isPresent()) return described.get();
      Path file = root.resolve("VERSION");
      if (java.nio.file.Files.exists(file)) return java.nio.file.Files.readString(file).strip();
    } catch (IOException | RuntimeException e) {
      // unknown
    }
    return "(unknown)";
  }

  /** The workbook's version: git describe of HEAD (a tag, or the commit), "-dirty" when files changed; empty without git. */
  static java.util.Optional<String> describe(Path root) {
    Result r = git(root, "describe", "--tags", "--always", "--dirty");
    return r.exit == 0 && !r.out.isBlank() ? java.util.Optional.of(r.out.strip()) : java.util.Optional.empty();
  }

  public static void restore(Path root, List<String> files) {
    List<String> args = new ArrayList<>(List.of("checkout", shipped(root), "--"));
    args.addAll(files);
    if (git(root, args.toArray(String[]::new)).exit != 0) {
      throw new UserError("git could not restore the files; your backup is kept. Try: git checkout " + shipped(root) + " -- "
          + String.join(" ", files));
    }
  }

  /** True when the path has changes against HEAD, or is not tracked at all. */
  public static boolean differsFromHead(Path root, String path) {
    Result tracked = git(root, "ls-files", "--", path);
    if (tracked.exit != 0 || tracked.out.isBlank()) return false; // not a clone, or a new folder: use as is
    return !git(root, "status", "--porcelain", "--", path).out.isBlank();
  }

  /** Writes the committed version of path (a folder) into target, keeping its relative layout. */
  public static boolean exportHead(Path root, String path, Path target) {
    try {
      Process archive = new ProcessBuilder("git", "archive", "--format=tar", "HEAD", "--", path)
          .directory(root.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      Process tar = new ProcessBuilder("tar", "-x", "-C", target.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      archive.getInputStream().transferTo(tar.getOutputStream());
      tar.getOutputStream().close();
      return archive.waitFor() == 0 && tar.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public static void diff(Path root, String mine, String solution) {
    try {
      new ProcessBuilder("git", "--no-pager", "diff", "--no-index", "--", mine, solution)
          .directory(root.toFile()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UserError("Showing a diff needs git on the PATH: compare " + mine + " with " + solution + " yourself.");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public record Result(int exit, String out) {
    public List<String> lines() {
      return out.lines().filter(l -> !l.isBlank()).toList();
    }
  }

  public static Result git(Path root, String... args) {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Result(p.waitFor(), out);
    } catch (IOException e) {
      return new Result(127, "");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(130, "");
    }
  }
}
