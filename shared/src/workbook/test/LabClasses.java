package workbook.test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The classes of a lab, as compiled with its test: the lab's own code (the default package), wherever the learner keeps
 * a field, a lock or a pool (the given classes, a helper class of their own next to them), so that a test looks at all
 * of them rather than at the classes it knows by name.
 */
public final class LabClasses {
  private LabClasses() {}

  /**
   * The classes compiled next to {@code test} (in its directory or jar, in the default package), the test's own classes
   * excepted; with {@code nested}, their nested, anonymous and local classes too (Name$Inner), else only top-level ones.
   * Loaded without being initialised.
   */
  public static List<Class<?>> beside(Class<?> test, boolean nested) {
    List<Class<?>> found = new ArrayList<>();
    try {
      Path where = Path.of(test.getProtectionDomain().getCodeSource().getLocation().toURI());
      List<String> names = new ArrayList<>();
      if (Files.isDirectory(where)) {
        try (var files = Files.list(where)) {
          files.map(f -> f.getFileName().toString()).forEach(names::add);
        }
      } else {
        try (JarFile jar = new JarFile(where.toFile())) {
          jar.stream().map(JarEntry::getName).forEach(names::add);
        }
      }
      String own = test.getName();
      for (String name : names) {
        if (!name.endsWith(".class") || name.contains("/")) continue;
        String type = name.substring(0, name.length() - ".class".length());
        if (type.equals(own) || type.startsWith(own + "$") || !nested && type.contains("$")) continue;
        found.add(Class.forName(type, false, test.getClassLoader()));
      }
    } catch (Exception | LinkageError e) {
      throw new IllegalStateException("could not list the lab's classes next to " + test.getSimpleName(), e);
    }
    return found;
  }
}
