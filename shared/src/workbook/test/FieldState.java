package workbook.test;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * What a call leaves behind in fields, read as text: each field with what it holds (a value as
 * itself; a list's elements, a map's entries, an atomic's value; one of the lab's own objects by
 * its fields, a few levels deep). Read before and after a call (or between two calls at once),
 * {@link #changes} names every field whose content the call changed: state kept where the next
 * call, or one at the same time, finds it. A ThreadLocal is each thread's own and reads as itself.
 */
public final class FieldState {
  private final ClassLoader lab;
  private final int depth;
  private final boolean othersByIdentity;
  private final Function<Object, String> known;

  /**
   * lab: the loader of the lab's own classes (their objects are read field by field); depth: how
   * many levels; othersByIdentity: anything else as that very object (a new one is a change) rather
   * than by its toString; known: text for objects read another way (null for none).
   */
  public FieldState(ClassLoader lab, int depth, boolean othersByIdentity, Function<Object, String> known) {
    this.lab = lab;
    this.depth = depth;
    this.othersByIdentity = othersByIdentity;
    this.known = known == null ? o -> null : known;
  }

  /** Every static field of the types and of the types nested in them, "Type.field" -> what it holds. */
  public Map<String, String> ofStatics(Class<?>... types) {
    Map<String, String> state = new TreeMap<>();
    Deque<Class<?>> todo = new ArrayDeque<>(List.of(types));
    while (!todo.isEmpty()) {
      Class<?> type = todo.pop();
      todo.addAll(List.of(type.getDeclaredClasses()));
      for (Field field : type.getDeclaredFields()) {
        if (!Modifier.isStatic(field.getModifiers()) || field.isSynthetic()) continue;
        state.put(type.getSimpleName() + "." + field.getName(), read(field, null));
      }
    }
    return state;
  }

  /** Every field of target (its class's static ones too) but those named in skip, "field" -> what it holds. */
  public Map<String, String> of(Object target, Set<String> skip) {
    Map<String, String> state = new TreeMap<>();
    for (Field field : target.getClass().getDeclaredFields()) {
      if (field.isSynthetic() || skip.contains(field.getName())) continue;
      state.put(field.getName(), read(field, Modifier.isStatic(field.getModifiers()) ? null : target));
    }
    return state;
  }

  /** The fields whose content differs between two readings: "prefix field: before -> after". */
  public static List<String> changes(Map<String, String> before, Map<String, String> after, String prefix) {
    List<String> changed = new ArrayList<>();
    for (String field : after.keySet()) {
      if (!after.get(field).equals(before.get(field))) changed.add(prefix + field + ": " + before.get(field) + " -> " + after.get(field));
    }
    return changed;
  }

  private String read(Field field, Object owner) {
    try {
      field.setAccessible(true);
      return render(field.get(owner), 0);
    } catch (ReflectiveOperationException | RuntimeException unreadable) {
      return "unreadable";
    }
  }

  private String render(Object value, int level) throws IllegalAccessException {
    if (value == null) return "null";
    if (value instanceof CharSequence || value instanceof Number || value instanceof Boolean || value instanceof Character
        || value instanceof java.time.Duration) {
      return value.toString();
    }
    String text = known.apply(value);
    if (text != null) return text;
    if (value instanceof ThreadLocal<?>) return "a ThreadLocal";
    if (level > depth) return "...";
    if (value.getClass().isArray()) {
      List<String> items = new ArrayList<>();
      for (int i = 0; i < Array.getLength(value); i++) items.add(render(Array.get(value, i), level + 1));
      return items.toString();
    }
    if (value instanceof Map<?, ?> map) {
      List<String> entries = new ArrayList<>();
      for (Map.Entry<?, ?> entry : new ArrayList<>(map.entrySet())) {
        entries.add(render(entry.getKey(), level + 1) + "=" + render(entry.getValue(), level + 1));
      }
      return "{" + String.join(", ", entries) + "}";
    }
    if (value instanceof Iterable<?> items) {
      List<String> rendered = new ArrayList<>();
      for (Object item : items instanceof Collection<?> c ? new ArrayList<>(c) : items) rendered.add(render(item, level + 1));
      return rendered.toString();
    }
    if (value instanceof AtomicReference<?> ref) return "ref(" + render(ref.get(), level + 1) + ")";
    if (value.getClass().getClassLoader() != lab || value.getClass().getName().startsWith("workbook.")) {
      if (value instanceof Enum<?> constant) return constant.name();
      return othersByIdentity ? value.getClass().getSimpleName() + "@" + Integer.toHexString(System.identityHashCode(value))
          : String.valueOf(value);
    }
    // one of the lab's own objects (a constant of its own too, a lambda, an object of the learner's): its fields
    List<String> fields = new ArrayList<>();
    for (Class<?> type = value.getClass(); type != null && type.getClassLoader() == lab; type = type.getSuperclass()) {
      for (Field field : type.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers())) continue;
        field.setAccessible(true);
        fields.add(field.getName() + "=" + render(field.get(value), level + 1));
      }
    }
    return (value instanceof Enum<?> constant ? constant.name() : value.getClass().getSimpleName()) + "(" + String.join(", ", fields) + ")";
  }
}
