//JAVA 17+
//SOURCES Question.java

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** One interaction between two services, described by the questions it answers with yes. */
record Scenario(String name, Set<Question> yes) {
  static Scenario of(String name, Question... yes) {
    Set<Question> set = EnumSet.noneOf(Question.class);
    set.addAll(Arrays.asList(yes));
    return new Scenario(name, Collections.unmodifiableSet(set));
  }

  boolean says(Question question) { return yes.contains(question); }

  @Override public String toString() { return name; }
}
