package workbook.test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sets the counts a lab's objects keep to a value of the test's choosing, and puts them back: a
 * limit kept as a count (calls in flight, messages a slow reader has not taken) is reached this way
 * whatever the limit, without making that many calls. Each setter adds to {@code restore} what puts
 * its count back; run those in reverse order, so a count met twice ends as it was.
 */
public final class Counts {
  private Counts() {}

  /** If {@code f} (of {@code target}; null for a static field) is an int or long field, not final, sets it to {@code value}. */
  public static boolean setField(Field f, Object target, long value, List<Runnable> restore) {
    try {
      if (Modifier.isFinal(f.getModifiers()) || (f.getType() != int.class && f.getType() != long.class)) return false;
      f.setAccessible(true);
      Object was = f.get(target);
      if (f.getType() == int.class) f.setInt(target, (int) value); else f.setLong(target, value);
      restore.add(() -> {
        try {
          f.set(target, was);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      });
      return true;
    } catch (IllegalAccessException | RuntimeException e) {
      return false; // a field that cannot be opened: not one of the lab's own
    }
  }

  /**
   * If {@code held} is a count (AtomicInteger, AtomicLong, LongAdder, AtomicIntegerArray, or an int[]
   * or long[] that is not empty: a count a lambda can change), sets it to {@code value}.
   */
  public static boolean setHeld(Object held, long value, List<Runnable> restore) {
    if (held instanceof AtomicInteger atomic) {
      int was = atomic.getAndSet((int) value);
      restore.add(() -> atomic.set(was));
    } else if (held instanceof AtomicLong atomic) {
      long was = atomic.getAndSet(value);
      restore.add(() -> atomic.set(was));
    } else if (held instanceof LongAdder adder) {
      long was = adder.sumThenReset();
      adder.add(value);
      restore.add(() -> {
        adder.reset();
        adder.add(was);
      });
    } else if (held instanceof int[] ints && ints.length > 0) {
      int[] was = ints.clone();
      Arrays.fill(ints, (int) value);
      restore.add(() -> System.arraycopy(was, 0, ints, 0, was.length));
    } else if (held instanceof long[] longs && longs.length > 0) {
      long[] was = longs.clone();
      Arrays.fill(longs, value);
      restore.add(() -> System.arraycopy(was, 0, longs, 0, was.length));
    } else if (held instanceof AtomicIntegerArray counts && counts.length() > 0) {
      int[] was = new int[counts.length()];
      for (int i = 0; i < was.length; i++) was[i] = counts.getAndSet(i, (int) value);
      restore.add(() -> {
        for (int i = 0; i < was.length; i++) counts.set(i, was[i]);
      });
    } else {
      return false;
    }
    return true;
  }

  /** Runs what {@code restore} holds, last first. */
  public static void restore(List<Runnable> restore) {
    for (int i = restore.size() - 1; i >= 0; i--) restore.get(i).run();
  }
}
