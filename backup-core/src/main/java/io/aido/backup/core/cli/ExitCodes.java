package io.aido.backup.core.cli;

/**
 * The exit codes of every job, so that CronJobs, scripts and alerts can tell outcomes apart.
 *
 * <ul>
 *   <li>{@value #DONE}: done;
 *   <li>{@value #FAILED}: the job failed; the message says why and what is safe;
 *   <li>{@value #USAGE}: bad usage or configuration; nothing was done;
 *   <li>{@value #VERIFICATION_FAILED}: verification found a bad backup ({@link
 *       VerificationFailedException}).
 * </ul>
 */
public final class ExitCodes {
  public static final int DONE = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;
  public static final int VERIFICATION_FAILED = 3;

  private ExitCodes() {}
}
