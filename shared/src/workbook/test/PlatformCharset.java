package workbook.test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.Charset;
import java.util.concurrent.Callable;

/**
 * Code that leans on the JVM's default charset (String.getBytes() and new String(bytes) without
 * one) reads and writes the same text differently on another machine. A test shows it here by
 * running the code as that machine would.
 */
public final class PlatformCharset {
  private PlatformCharset() {}

  /**
   * Runs {@code call} while the JVM's default charset is {@code charset}, whatever the machine's:
   * set in the place the JVM keeps it, and put back after. Only on Java 17, the one release where
   * that charset still follows the machine's locale (cp1252 on Windows, ASCII under LANG=C): from
   * Java 18 on it is UTF-8 everywhere (JEP 400), so code that leans on it reads names right there,
   * and sun.misc.Unsafe's field access warns (Java 24) and is to be withdrawn: the call then runs as it is.
   */
  public static <T> T with(Charset charset, Callable<T> call) throws Exception {
    if (Runtime.version().feature() >= 18) return call.call();
    // sun.misc.Unsafe (module jdk.unsupported) writes the field that java.base keeps closed to reflection.
    Class<?> type = Class.forName("sun.misc.Unsafe");
    Field theUnsafe = type.getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    Object unsafe = theUnsafe.get(null);
    Field field = Charset.class.getDeclaredField("defaultCharset");
    Charset.defaultCharset(); // set once, before it is replaced
    Object base = type.getMethod("staticFieldBase", Field.class).invoke(unsafe, field);
    long offset = (long) type.getMethod("staticFieldOffset", Field.class).invoke(unsafe, field);
    Method get = type.getMethod("getObjectVolatile", Object.class, long.class);
    Method put = type.getMethod("putObjectVolatile", Object.class, long.class, Object.class);
    Object was = get.invoke(unsafe, base, offset);
    put.invoke(unsafe, base, offset, charset);
    try {
      if (!Charset.defaultCharset().equals(charset)) {
        throw new IllegalStateException("the default charset could not be set to " + charset + " for this test");
      }
      return call.call();
    } finally {
      put.invoke(unsafe, base, offset, was);
    }
  }
}
