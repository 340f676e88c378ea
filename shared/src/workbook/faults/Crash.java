package workbook.faults;

/**
 * A simulated process death, thrown where a schedule says the process dies. An Error, not an
 * Exception, so that code which catches exceptions to retry does not survive it: whatever the
 * process had not written down by then is gone, as after a kill -9.
 */
public final class Crash extends Error {
  public Crash(String where) { super("simulated crash: " + where); }
}
