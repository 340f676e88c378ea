package workbook.tool.base;

/** A mistake of the person typing: one sentence, no stack trace, exit 2 (Exit.USAGE). */
public final class UserError extends RuntimeException {
  public UserError(String message) { super(message, null, false, false); }
}
