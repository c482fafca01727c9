package io.aido.backup.core.cli;

/**
 * Verification ran and found a bad backup. Commands throw it to exit with {@value
 * ExitCodes#VERIFICATION_FAILED}, distinct from a verification that could not run (exit {@value
 * ExitCodes#FAILED}).
 *
 * <p>The message says which backup and what is wrong: "backup 20261124T020000Z-a1b2c3 part 0:
 * authentication failed at byte 1048576 (tampered or wrong key)".
 */
public final class VerificationFailedException extends Exception {

  public VerificationFailedException(String message) {
    super(message);
  }

  public VerificationFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
