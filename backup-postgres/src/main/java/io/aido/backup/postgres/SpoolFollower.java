package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the copy into a {@link RestoreSpool} has reached, shared between the copying thread, the
 * table loaders and the caller of {@link OverlappedRestore}: the table of contents, the table data
 * blocks that started arriving and how far each is readable. Also holds the first failure of any of
 * them, and the pg_restore runs to kill when one happens.
 */
final class SpoolFollower implements CustomDumpOffsets.Listener {
  private static final String TABLE_DATA = "TABLE DATA";

  private CustomDumpOffsets.TableOfContents toc;
  private final Set<Integer> tableData = new HashSet<>();
  private final Deque<Block> started = new ArrayDeque<>();
  private final Map<Integer, Long> ends = new HashMap<>();
  private final Set<Integer> loaded = new HashSet<>();
  private final List<ToolProcess> running = new ArrayList<>();
  private long flushed;
  private boolean finished;
  private Throwable failure;

  /** A table's data block that started arriving at file position {@code start}. */
  record Block(int dumpId, long start) {}

  /** Another part failed: this one stops without a failure of its own. */
  static final class Stopped extends Exception {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super("stopped", null, false, false);
    }
  }

  @Override
  public synchronized void tableOfContents(CustomDumpOffsets.TableOfContents toc)
      throws IOException {
    stopIfFailed();
    this.toc = toc;
    toc.entries().stream()
        .filter(e -> TABLE_DATA.equals(e.desc()))
        .forEach(e -> tableData.add(e.dumpId()));
    notifyAll();
  }

  @Override
  public synchronized void blockStarted(int dumpId, long start) throws IOException {
    stopIfFailed();
    if (tableData.contains(dumpId)) {
      started.add(new Block(dumpId, start));
      notifyAll();
    }
  }

  @Override
  public synchronized void blockEnded(int dumpId, long end) {
    ends.put(dumpId, end);
    notifyAll();
  }

  @Override
  public synchronized void flushed(long position) throws IOException {
    stopIfFailed();
    flushed = position;
    notifyAll();
  }

  private void stopIfFailed() throws IOException {
    if (failure != null) {
      throw new IOException("stopped, because the restore failed");
    }
  }

  /** The copy ended, with {@code e} if it failed. */
  synchronized void finish(Throwable e) {
    finished = true;
    if (e != null && failure == null) {
      failure = e;
      stopRunning();
    }
    notifyAll();
  }

  /** Records the first failure and kills the pg_restore runs in progress. */
  synchronized void fail(Throwable e) {
    if (failure == null) {
      failure = e;
      stopRunning();
    }
    notifyAll();
  }

  private void stopRunning() {
    running.forEach(ToolProcess::close);
    running.clear();
  }

  /** A pg_restore run to kill on a failure (at once if there was one already). */
  synchronized void running(ToolProcess tool) {
    if (failure != null) {
      tool.close();
    } else {
      running.add(tool);
    }
  }

  synchronized void ended(ToolProcess tool) {
    running.remove(tool);
  }

  synchronized void checkStopped() throws Stopped {
    if (failure != null) {
      throw new Stopped();
    }
  }

  /** The table of contents, or null when the copy ended without one (not understood). */
  synchronized CustomDumpOffsets.TableOfContents awaitTableOfContents() throws JobException {
    while (toc == null && !finished && failure == null) {
      waitInterruptibly();
    }
    return failure == null ? toc : null;
  }

  /** The next table data block that started arriving; null when there are no more. */
  synchronized Block nextBlock() throws Stopped, JobException {
    while (started.isEmpty() && !finished && failure == null) {
      waitInterruptibly();
    }
    checkStopped();
    return started.poll();
  }

  /**
   * Where the readable bytes of block {@code dumpId} from {@code at} end (waits for some), or -1
   * when {@code at} is its end.
   */
  synchronized long readable(int dumpId, long at) throws Stopped, JobException {
    while (true) {
      checkStopped();
      Long end = ends.get(dumpId);
      if (end != null && at >= end) {
        return -1;
      }
      long limit = end == null ? flushed : Math.min(end, flushed);
      if (limit > at) {
        return limit;
      }
      if (finished) {
        throw JobException.failed(
            "unable to restore: the dump ended inside the data block of entry " + dumpId, null);
      }
      waitInterruptibly();
    }
  }

  synchronized void loaded(int dumpId) {
    loaded.add(dumpId);
  }

  synchronized Set<Integer> loaded() {
    return Set.copyOf(loaded);
  }

  synchronized CustomDumpOffsets.TableOfContents toc() {
    return toc;
  }

  /** Throws the first failure: an IOException of the dump as it is, a JobException as it is. */
  synchronized void rethrow() throws IOException, JobException {
    if (failure instanceof IOException e) {
      throw e;
    }
    if (failure instanceof JobException e) {
      throw e;
    }
    if (failure instanceof RuntimeException e) {
      throw e;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
  }

  private void waitInterruptibly() throws JobException {
    try {
      wait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(JobException.failed("unable to restore: interrupted", e));
      throw JobException.failed("unable to restore: interrupted", e);
    }
  }
}
