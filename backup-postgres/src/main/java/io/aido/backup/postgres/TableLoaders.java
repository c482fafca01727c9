package io.aido.backup.postgres;

import io.aido.backup.core.cli.JobException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loaders of {@link OverlappedRestore}: each takes table data blocks as they start arriving in
 * the spool and loads each with one {@code pg_restore} reading on its stdin a one-table archive
 * (the header, the session entries, the table's entry and the block, following the spool as it
 * grows). Any number of threads may run {@link #loadBlocks} at once.
 */
final class TableLoaders {
  /** Their lines are part of the overlapped restore's log, under its name. */
  private static final Logger LOG = LoggerFactory.getLogger(OverlappedRestore.class);

  private static final Set<String> SESSION_ENTRIES = Set.of("ENCODING", "STDSTRINGS", "SEARCHPATH");

  private final PgRestoreTarget into;
  private final RestoreSpool spool;
  private final SpoolFollower follower;
  private final Map<Integer, CustomDumpOffsets.Entry> entries = new HashMap<>();
  private final byte[] prefix;

  /**
   * @throws JobException exit code 1 when the header or the session entries cannot be read back
   *     from the spool
   */
  TableLoaders(
      PgRestoreTarget into,
      RestoreSpool spool,
      CustomDumpOffsets.TableOfContents toc,
      SpoolFollower follower)
      throws JobException {
    this.into = into;
    this.spool = spool;
    this.follower = follower;
    toc.entries().forEach(e -> entries.put(e.dumpId(), e));
    this.prefix = sessionPrefix(toc);
  }

  /** The header and the session entries, as the start of a one-table archive. */
  private byte[] sessionPrefix(CustomDumpOffsets.TableOfContents toc) throws JobException {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(spool.read(0, toc.countAt()));
      List<CustomDumpOffsets.Entry> session =
          toc.entries().stream().filter(e -> SESSION_ENTRIES.contains(e.desc())).toList();
      new DumpInts(toc.intSize()).write(out, session.size() + 1);
      for (CustomDumpOffsets.Entry e : session) {
        out.write(spool.read(e.start(), e.end() - e.start()));
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw JobException.failed("unable to read the spool: " + e.getMessage(), e);
    }
  }

  /** A loader: takes table data blocks as they start arriving until there are none. */
  void loadBlocks() {
    try {
      SpoolFollower.Block block;
      while ((block = follower.nextBlock()) != null) {
        load(block);
        follower.loaded(block.dumpId());
      }
    } catch (SpoolFollower.Stopped e) {
      // Another part failed; its failure is the one reported.
    } catch (JobException | RuntimeException | Error e) {
      follower.fail(e);
    }
  }

  private void load(SpoolFollower.Block block) throws JobException, SpoolFollower.Stopped {
    CustomDumpOffsets.Entry entry = entries.get(block.dumpId());
    String what = "pg_restore of the data of '" + entry.tag() + "' into '" + into.database() + "'";
    List<String> command = into.command();
    try (ToolProcess restore = into.start(what, command)) {
      follower.running(restore);
      try (OutputStream stdin = restore.stdin()) {
        stdin.write(prefix);
        stdin.write(spool.read(entry.start(), entry.end() - entry.start()));
        long at = block.start();
        long limit;
        while ((limit = follower.readable(block.dumpId(), at)) >= 0) {
          spool.copy(at, limit, stdin);
          at = limit;
        }
      } catch (IOException e) {
        // pg_restore stopped reading: its exit code and message say why.
      }
      restore.awaitSuccess();
      follower.ended(restore);
      LOG.debug("{}: finished", what);
    } catch (IOException e) {
      follower.checkStopped();
      throw into.failed(e);
    }
  }
}
