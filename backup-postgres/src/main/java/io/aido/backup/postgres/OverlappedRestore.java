package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
    PgRestoreTarget into = new PgRestoreTarget(pg, tools, target, options);
    SpoolFollower follower = new SpoolFollower();
    CustomDumpOffsets.Result[] spooled = new CustomDumpOffsets.Result[1];
    Thread filler =
        new Thread(
            () -> {
              try {
                spooled[0] = spool.fill(dump, follower);
                follower.finish(null);
              } catch (IOException | RuntimeException | Error e) {
                follower.finish(e);
              }
            },
            "spool-fill");
    filler.start();
    List<Thread> loaders = new ArrayList<>();
    try {
      CustomDumpOffsets.TableOfContents toc = follower.awaitTableOfContents();
      if (toc != null) {
        TableLoaders tables = new TableLoaders(into, spool, toc, follower);
        preData(into, spool, toc, follower);
        for (int i = 0; i < jobs; i++) {
          Thread loader = new Thread(tables::loadBlocks, "restore-loader-" + i);
          loader.start();
          loaders.add(loader);
        }
      }
    } catch (JobException | RuntimeException | Error e) {
      follower.fail(e);
    } finally {
      joinAll(loaders);
      joinAll(List.of(filler));
    }
    follower.rethrow();
    Set<Integer> loaded = follower.loaded();
    rest(into, spool, follower.toc(), loaded, jobs);
    return new Outcome(spooled[0], loaded.size());
  }

  /** pg_restore --section=pre-data of the table of contents (all a pre-data restore reads). */
  private static void preData(
      PgRestoreTarget into,
      RestoreSpool spool,
      CustomDumpOffsets.TableOfContents toc,
      SpoolFollower follower)
      throws JobException {
    List<String> command = into.command();
    command.add("--section=pre-data");
    String what = "pg_restore --section=pre-data into '" + into.database() + "'";
    try (ToolProcess restore = into.start(what, command)) {
      follower.running(restore);
      try (OutputStream stdin = restore.stdin()) {
        spool.copy(0, toc.end(), stdin);
      } catch (IOException e) {
        // pg_restore stopped reading: its exit code and message say why.
      }
      restore.awaitSuccess();
      follower.ended(restore);
      LOG.info("{}: finished", what);
    } catch (IOException e) {
      throw into.failed(e);
    }
  }

  /** pg_restore --jobs of everything the overlapped part did not restore, from the whole spool. */
  private static void rest(
      PgRestoreTarget into,
      RestoreSpool spool,
      CustomDumpOffsets.TableOfContents toc,
      Set<Integer> loaded,
      int jobs)
      throws JobException {
    if (toc == null) {
      PgRestore.restoreFile(
          into.pg(), into.tools(), spool.path(), into.database(), into.options(), jobs, false);
      return;
    }
    List<String> command = into.command();
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
    String what = "pg_restore --jobs=" + jobs + " of the rest into '" + into.database() + "'";
    try (ToolProcess restore = into.start(what, command)) {
      try (OutputStream stdin = restore.stdin()) {
        stdin.write(list.toString().getBytes(StandardCharsets.US_ASCII));
      } catch (IOException e) {
        // pg_restore stopped reading: its exit code and message say why.
      }
      restore.awaitSuccess();
      LOG.info("{}: finished", what);
    } catch (IOException e) {
      throw into.failed(e);
    }
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
}
