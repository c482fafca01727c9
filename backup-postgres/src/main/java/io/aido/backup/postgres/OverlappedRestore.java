package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a custom-format dump into a new database with parallel {@code pg_restore} workers while
 * the dump is still being read into its {@link RestoreSpool}, instead of after.
 *
 * <p>Order: as soon as the table of contents is in the spool, {@code pg_restore --section=pre-data}
 * creates the schema from it. Then each table's data block goes, from the moment it starts
 * arriving, to one of {@code jobs} loaders: a {@code pg_restore} reading on its stdin the archive's
 * header, its session entries (encoding, standard strings, search path), the table's entry and the
 * block, following the spool as it grows; it runs the one {@code COPY} that pg_restore runs for
 * that table. Once the whole dump is in the spool and has passed its checks, {@code pg_restore
 * --jobs --section=data --section=post-data} restores the rest from the file (large objects,
 * sequence values, then indexes, constraints, triggers, grants), leaving out the tables already
 * loaded.
 *
 * <p>Guarantees: every restoring step is pg_restore's own, in pg_restore's section order (the three
 * sections restored one after the other are what a whole restore does). A failure anywhere (reading
 * or checking the dump, a loader, pg_restore) stops every part, and {@link #restore} throws only
 * after all of them ended. When the table of contents is not understood, nothing runs before the
 * spool is complete, and then one {@code pg_restore --jobs} restores it all.
 *
 * <p>Restrictions: the target holds part of the dump when this fails, so it must be a database
 * created for this restore, which the caller drops; a loader may load data the dump's final checks
 * later reject (the restore then fails and that database is dropped).
 *
 * <pre>{@code
 * try (RestoreSpool spool = RestoreSpool.open(dir, size, what)) {
 *   OverlappedRestore.Outcome o = OverlappedRestore.restore(pg, tools, spool, dump, temp, opts, 2);
 * }
 * }</pre>
 */
public final class OverlappedRestore {
  private static final Logger LOG = LoggerFactory.getLogger(OverlappedRestore.class);
  private static final Set<String> SESSION_ENTRIES = Set.of("ENCODING", "STDSTRINGS", "SEARCHPATH");
  private static final String TABLE_DATA = "TABLE DATA";
  private static final int COPY_BUFFER = 1 << 18;

  private OverlappedRestore() {}

  /**
   * What the restore did.
   *
   * @param spooled the copy into the spool
   * @param streamed table data entries loaded while the dump was still arriving
   */
  public record Outcome(CustomDumpOffsets.Result spooled, int streamed) {}

  /**
   * Reads {@code dump} into {@code spool} and restores it into {@code target} meanwhile.
   *
   * @param jobs loaders while the dump arrives, and pg_restore workers after it
   * @throws IOException if reading or checking the dump failed (its message says how)
   * @throws JobException exit code 1 when pg_restore failed, naming the step and its error
   */
  public static Outcome restore(
      PgConnection pg,
      PgTools tools,
      RestoreSpool spool,
      InputStream dump,
      String target,
      PgRestore.Options options,
      int jobs)
      throws IOException, JobException {
    Follow follow = new Follow();
    CustomDumpOffsets.Result[] spooled = new CustomDumpOffsets.Result[1];
    Thread filler =
        new Thread(
            () -> {
              try {
                spooled[0] = spool.fill(dump, follow);
                follow.finish(null);
              } catch (IOException | RuntimeException | Error e) {
                follow.finish(e);
              }
            },
            "spool-fill");
    filler.start();
    List<Thread> loaders = new ArrayList<>();
    try {
      CustomDumpOffsets.TableOfContents toc = follow.awaitTableOfContents();
      if (toc != null) {
        Restorer restorer = new Restorer(pg, tools, spool, toc, target, options, follow);
        restorer.preData();
        for (int i = 0; i < jobs; i++) {
          Thread loader = new Thread(restorer::loadBlocks, "restore-loader-" + i);
          loader.start();
          loaders.add(loader);
        }
      }
    } catch (JobException | RuntimeException | Error e) {
      follow.fail(e);
    } finally {
      joinAll(loaders);
      joinAll(List.of(filler));
    }
    follow.rethrow();
    Set<Integer> loaded = follow.loaded();
    rest(pg, tools, spool, follow.toc(), loaded, target, options, jobs);
    return new Outcome(spooled[0], loaded.size());
  }

  /** pg_restore --jobs of everything the overlapped part did not restore, from the whole spool. */
  private static void rest(
      PgConnection pg,
      PgTools tools,
      RestoreSpool spool,
      CustomDumpOffsets.TableOfContents toc,
      Set<Integer> loaded,
      String target,
      PgRestore.Options options,
      int jobs)
      throws JobException {
    if (toc == null) {
      PgRestore.restoreFile(pg, tools, spool.path(), target, options, jobs, false);
      return;
    }
    List<String> command = base(tools, options, target);
    command.addAll(
        List.of(
            "--jobs=" + jobs, "--section=data", "--section=post-data", "--use-list=/dev/stdin"));
    command.add(spool.path().toString());
    StringBuilder list = new StringBuilder();
    for (CustomDumpOffsets.Entry e : toc.entries()) {
      if (!loaded.contains(e.dumpId())) {
        list.append(e.dumpId()).append(";\n");
      }
    }
    String what = "pg_restore --jobs=" + jobs + " of the rest into '" + target + "'";
    try (ToolProcess restore = ToolProcess.start(what, command, pg.childEnv(target))) {
      try (OutputStream stdin = restore.stdin()) {
        stdin.write(list.toString().getBytes(StandardCharsets.US_ASCII));
      } catch (IOException e) {
        // pg_restore stopped reading: its exit code and message say why.
      }
      restore.awaitSuccess();
      LOG.info("{}: finished", what);
    } catch (IOException e) {
      throw failed(pg, target, e);
    }
  }

  private static List<String> base(PgTools tools, PgRestore.Options options, String target) {
    List<String> command =
        new ArrayList<>(List.of(tools.command("pg_restore"), "--no-password", "--exit-on-error"));
    if (options.noOwner()) {
      command.add("--no-owner");
    }
    if (options.noPrivileges()) {
      command.add("--no-privileges");
    }
    command.add("--dbname=" + PgConnection.conninfoDbname(target));
    return command;
  }

  private static JobException failed(PgConnection pg, String target, IOException e) {
    return JobException.failed(
        "unable to restore into database '"
            + target
            + "' on server '"
            + pg.server()
            + "': "
            + e.getMessage(),
        e);
  }

  private static void joinAll(List<Thread> threads) {
    boolean interrupted = false;
    for (Thread t : threads) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The pg_restore runs that follow the spool: the schema first, then one per table's data. */
  private static final class Restorer {
    private final PgConnection pg;
    private final PgTools tools;
    private final RestoreSpool spool;
    private final CustomDumpOffsets.TableOfContents toc;
    private final String target;
    private final PgRestore.Options options;
    private final Follow follow;
    private final Map<Integer, CustomDumpOffsets.Entry> entries = new HashMap<>();
    private final byte[] prefix;

    Restorer(
        PgConnection pg,
        PgTools tools,
        RestoreSpool spool,
        CustomDumpOffsets.TableOfContents toc,
        String target,
        PgRestore.Options options,
        Follow follow)
        throws JobException {
      this.pg = pg;
      this.tools = tools;
      this.spool = spool;
      this.toc = toc;
      this.target = target;
      this.options = options;
      this.follow = follow;
      toc.entries().forEach(e -> entries.put(e.dumpId(), e));
      this.prefix = sessionPrefix();
    }

    /** The header and the session entries, as the start of a one-table archive. */
    private byte[] sessionPrefix() throws JobException {
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(read(0, toc.countAt()));
        List<CustomDumpOffsets.Entry> session =
            toc.entries().stream().filter(e -> SESSION_ENTRIES.contains(e.desc())).toList();
        writeInt(out, session.size() + 1, toc.intSize());
        for (CustomDumpOffsets.Entry e : session) {
          out.write(read(e.start(), e.end() - e.start()));
        }
        return out.toByteArray();
      } catch (IOException e) {
        throw JobException.failed("unable to read the spool: " + e.getMessage(), e);
      }
    }

    /** pg_restore --section=pre-data of the table of contents (all a pre-data restore reads). */
    void preData() throws JobException {
      List<String> command = base(tools, options, target);
      command.add("--section=pre-data");
      String what = "pg_restore --section=pre-data into '" + target + "'";
      try (ToolProcess restore = ToolProcess.start(what, command, pg.childEnv(target))) {
        follow.running(restore);
        try (OutputStream stdin = restore.stdin()) {
          copy(0, toc.end(), stdin);
        } catch (IOException e) {
          // pg_restore stopped reading: its exit code and message say why.
        }
        restore.awaitSuccess();
        follow.ended(restore);
        LOG.info("{}: finished", what);
      } catch (IOException e) {
        throw failed(pg, target, e);
      }
    }

    /** A loader: takes table data blocks as they start arriving until there are none. */
    void loadBlocks() {
      try {
        Block block;
        while ((block = follow.nextBlock()) != null) {
          load(block);
          follow.loaded(block.dumpId());
        }
      } catch (Stopped e) {
        // Another part failed; its failure is the one reported.
      } catch (JobException | RuntimeException | Error e) {
        follow.fail(e);
      }
    }

    private void load(Block block) throws JobException, Stopped {
      CustomDumpOffsets.Entry entry = entries.get(block.dumpId());
      String what = "pg_restore of the data of '" + entry.tag() + "' into '" + target + "'";
      List<String> command = base(tools, options, target);
      try (ToolProcess restore = ToolProcess.start(what, command, pg.childEnv(target))) {
        follow.running(restore);
        try (OutputStream stdin = restore.stdin()) {
          stdin.write(prefix);
          stdin.write(read(entry.start(), entry.end() - entry.start()));
          long at = block.start();
          long limit;
          while ((limit = follow.readable(block.dumpId(), at)) >= 0) {
            copy(at, limit, stdin);
            at = limit;
          }
        } catch (IOException e) {
          // pg_restore stopped reading: its exit code and message say why.
        }
        restore.awaitSuccess();
        follow.ended(restore);
        LOG.debug("{}: finished", what);
      } catch (IOException e) {
        follow.checkStopped();
        throw failed(pg, target, e);
      }
    }

    private byte[] read(long at, long length) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(length));
      spool.read(at, b);
      return b.array();
    }

    private void copy(long from, long to, OutputStream out) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(COPY_BUFFER);
      for (long at = from; at < to; ) {
        b.clear().limit((int) Math.min(COPY_BUFFER, to - at));
        spool.read(at, b);
        out.write(b.array(), 0, b.limit());
        at += b.limit();
      }
    }

    private static void writeInt(OutputStream out, long value, int size) throws IOException {
      out.write(0);
      for (int i = 0; i < size; i++) {
        out.write(i < 8 ? (int) (value >>> (8 * i)) & 0xff : 0);
      }
    }
  }

  private record Block(int dumpId, long start) {}

  /** Another part failed: this one stops without a failure of its own. */
  private static final class Stopped extends Exception {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super("stopped", null, false, false);
    }
  }

  /**
   * What the spool copy has reached, shared between the copying thread, the loaders and the caller;
   * also the first failure of any of them.
   */
  private static final class Follow implements CustomDumpOffsets.Listener {
    private CustomDumpOffsets.TableOfContents toc;
    private final Set<Integer> tableData = new HashSet<>();
    private final Deque<Block> started = new ArrayDeque<>();
    private final Map<Integer, Long> ends = new HashMap<>();
    private final Set<Integer> loaded = new HashSet<>();
    private final List<ToolProcess> running = new ArrayList<>();
    private long flushed;
    private boolean finished;
    private Throwable failure;

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
}
