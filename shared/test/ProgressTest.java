///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../tool/workbook/tool/base/Progress.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import workbook.tool.base.Progress;

/** Progress (issue 19): long work says what it is doing; quick work says nothing. */
@DisplayName("Progress: no silent minutes, no noise on quick work")
@Timeout(30)
class ProgressTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ProgressTest.class, args); }

  @Test @DisplayName("work that outlasts the first delay is named once, then again at each later interval, and nothing after it ends")
  void longWorkIsNamed() throws Exception {
    String out = captured(() -> {
      try (Progress p = Progress.start("building labs/01/X.java", 100, 600)) {
        Thread.sleep(2000);
      }
      Thread.sleep(500); // nothing more once closed
    });
    assertThat(out.lines()).as(out).first().isEqualTo("  building labs/01/X.java...");
    assertThat(out.lines().filter(l -> l.startsWith("  ... still building labs/01/X.java (")).count()).as(out).isBetween(1L, 4L);
  }

  @Test @DisplayName("work done before the first delay prints nothing")
  void quickWorkIsQuiet() throws Exception {
    String out = captured(() -> {
      try (Progress p = Progress.start("asking JBang", 2000, 30_000)) {
        Thread.sleep(50);
      }
    });
    assertThat(out).isEmpty();
  }

  interface Work { void run() throws Exception; }

  private static synchronized String captured(Work work) throws Exception {
    PrintStream before = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      work.run();
    } finally {
      System.setOut(before);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
