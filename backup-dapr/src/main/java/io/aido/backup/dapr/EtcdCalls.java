package io.aido.backup.dapr;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for one call to the Dapr Scheduler's etcd, bounded by a timeout; every failure is an {@link
 * IOException} saying what was being done and where: "unable to read the reminders in the Dapr
 * Scheduler's etcd at ...: ...".
 */
final class EtcdCalls {
  private EtcdCalls() {}

  static <T> T get(CompletableFuture<T> f, String what, String where, Duration timeout)
      throws IOException {
    try {
      return f.get(timeout.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException(
          "unable to " + what + " in the Dapr Scheduler's etcd at " + where + ": " + message(cause),
          cause);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IOException(
          "unable to "
              + what
              + " in the Dapr Scheduler's etcd at "
              + where
              + ": no answer within "
              + timeout.toSeconds()
              + " s",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the Dapr Scheduler's etcd", e);
    }
  }

  private static String message(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }
}
