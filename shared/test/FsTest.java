///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../tool/workbook/tool/base/Fs.java ../src/workbook/test/*.java

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import workbook.tool.base.Fs;

/** The workbook's temporary folders: each names its process, and what a killed process left is removed by the next. */
@DisplayName("Fs: temporary folders a killed command left are removed by the next one")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FsTest {
  public static void main(String[] args) { workbook.test.LabTests.run(FsTest.class, args); }

  @Test @DisplayName("a workbook folder whose process is gone goes; one in use, one of another kind and one without an owner stay")
  void sweepsOnlyOrphans(@TempDir Path tmp) throws Exception {
    // given: the pid of a process that has ended (a JVM killed with -9 leaves its folders like this)
    Process gone = new ProcessBuilder("java", "-version").redirectErrorStream(true).start();
    gone.getInputStream().readAllBytes();
    assertThat(gone.waitFor(30, TimeUnit.SECONDS)).as("java -version ended").isTrue();
    long dead = gone.pid();
    assertThat(ProcessHandle.of(dead)).as("the ended process").isEmpty();
    Path orphan = folder(tmp, "workbook-watch-1", dead);
    Files.createDirectories(orphan.resolve("run-1/deep")).resolve("A.class").toFile().createNewFile();
    Path inUse = folder(tmp, "workbook-kafka-2", ProcessHandle.current().pid());
    Path notOurs = folder(tmp, "someone-else-3", dead);
    Path noOwner = Files.createDirectories(tmp.resolve("workbook-browser-4"));
    // when
    int removed = Fs.sweepOrphans(tmp);
    // then
    assertThat(removed).as("folders removed").isEqualTo(1);
    assertThat(orphan).as("the folder of the process that is gone").doesNotExist();
    assertThat(inUse).as("the folder of this running process").exists();
    assertThat(notOurs).as("a folder not named workbook-*").exists();
    assertThat(noOwner).as("a workbook folder without an owner file (being made, or made by an older workbook)").exists();
  }

  @Test @DisplayName("a folder the tool makes names this process")
  void tempDirNamesItsOwner() throws Exception {
    Path dir = Fs.tempDir("fs-test");
    try {
      assertThat(Files.readString(dir.resolve(Fs.OWNER)).strip()).as("its owner file")
          .isEqualTo(String.valueOf(ProcessHandle.current().pid()));
      assertThat(dir.getFileName().toString()).as("its name").startsWith("workbook-fs-test-");
    } finally {
      Fs.delete(dir);
    }
  }

  private static Path folder(Path tmp, String name, long pid) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.writeString(dir.resolve(Fs.OWNER), String.valueOf(pid));
    return dir;
  }
}
