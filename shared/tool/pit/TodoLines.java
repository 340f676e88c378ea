//DEPS org.pitest:pitest-command-line:1.30.2 org.pitest:pitest-junit5-plugin:1.2.3

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.stream.Collectors;
import org.pitest.bytecode.analysis.ClassTree;
import org.pitest.mutationtest.build.InterceptorParameters;
import org.pitest.mutationtest.build.InterceptorType;
import org.pitest.mutationtest.build.MutationInterceptor;
import org.pitest.mutationtest.build.MutationInterceptorFactory;
import org.pitest.mutationtest.engine.MutationDetails;
import org.pitest.mutationtest.engine.Mutater;
import org.pitest.plugin.Feature;

/**
 * A PIT plugin for the workbook's mutate command (shared/tool/workbook/tool/verify/Mutate.java): keeps only the
 * mutants on the learner's lines of a lab's solution (its TODO regions), so PIT never spends a
 * test run on the given code. The lines come from the file named by -Dworkbook.todoLines, one
 * "File.java:line" a line. This file is also the one place PIT's version is pinned: mutate
 * resolves it with JBang when it runs, so a learner's test never downloads PIT.
 */
public class TodoLines implements MutationInterceptorFactory {
  @Override
  public String description() {
    return "Only the mutants on the lines of a lab's TODO regions";
  }

  @Override
  public Feature provides() {
    return Feature.named("WORKBOOK_TODO_LINES").withOnByDefault(true).withDescription(description());
  }

  @Override
  public MutationInterceptor createInterceptor(InterceptorParameters params) {
    String file = System.getProperty("workbook.todoLines");
    Set<String> lines;
    try {
      lines = file == null ? null : Files.readAllLines(Path.of(file)).stream().map(String::strip).collect(Collectors.toSet());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new MutationInterceptor() {
      @Override
      public InterceptorType type() {
        return InterceptorType.FILTER;
      }

      @Override
      public void begin(ClassTree clazz) {}

      @Override
      public Collection<MutationDetails> intercept(Collection<MutationDetails> mutations, Mutater m) {
        if (lines == null) return mutations;
        return mutations.stream().filter(d -> lines.contains(d.getFilename() + ":" + d.getLineNumber())).collect(Collectors.toList());
      }

      @Override
      public void end() {}
    };
  }
}
