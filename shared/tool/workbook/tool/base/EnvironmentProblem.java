package workbook.tool.base;

/** Something about this machine (a port taken, no broker, no network): one sentence, exit 3 (Exit.ENVIRONMENT). */
public final class EnvironmentProblem extends RuntimeException {
  public EnvironmentProblem(String message) { super(message, null, false, false); }
}
