package io.aido.backup.dapr;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyInputStream;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Dapr's PostgreSQL state store ({@code state.postgresql}), in either of its table layouts.
 *
 * <ul>
 *   <li>{@link Layout#V1} (component version v1, table {@code tableName}, default {@code state}):
 *       {@code key text}, {@code value jsonb}, {@code isbinary boolean}, {@code insertdate}, {@code
 *       updatedate}, {@code expiredate}; the ETag is the row's {@code xmin};
 *   <li>{@link Layout#V2} (component version v2, table {@code <tablePrefix>state}): {@code key
 *       text}, {@code value bytea}, {@code etag uuid}, {@code created_at}, {@code updated_at},
 *       {@code expires_at}.
 * </ul>
 *
 * <p>Consistency: a snapshot is one read-only REPEATABLE READ transaction that streams the table
 * with {@code COPY ... TO STDOUT (FORMAT binary)}, so it holds exactly what was committed when it
 * began: writes that Dapr made in one transaction are all in it or all absent. Expired rows that
 * Dapr's garbage collector has not removed yet are left out.
 *
 * <p>A restore runs in one transaction: it locks the table against writers, checks the scope is
 * empty (or, with {@code clean}, deletes the scope's rows), and streams the rows in with {@code
 * COPY ... FROM STDIN (FORMAT binary)}; a failure changes nothing. The table must exist (Dapr's
 * sidecar creates it with its migrations on first start), and the snapshot must be of the same
 * layout. Restrictions: v1 ETags cannot be restored (a row's {@code xmin} is the id of the
 * transaction that wrote it), so a client holding an old v1 ETag gets an ETag mismatch and
 * re-reads, the safe outcome; v2 ETags are restored as they were.
 */
public final class PostgresStateStore implements StateStore {

  /** The two table layouts of Dapr's PostgreSQL state store. */
  public enum Layout {
    V1("v1"),
    V2("v2");

    private final String id;

    Layout(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    /** The layout of component version {@code version} ({@code v1} when blank, as in Dapr). */
    public static Layout of(String version) {
      return "v2".equals(version) ? V2 : V1;
    }
  }

  /** Opens connections; the store closes each one it opens. */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  private final Connector connector;
  private final Layout layout;
  private final String table;
  private final String server;

  /**
   * @param connector opens a connection to the store's database
   * @param layout the table layout
   * @param table the state table, {@code name} or {@code schema.name}
   * @param server {@code host:port/database}, for messages (no credentials)
   */
  public PostgresStateStore(Connector connector, Layout layout, String table, String server) {
    this.connector = connector;
    this.layout = layout;
    this.table = table;
    this.server = server;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("type", "state.postgresql");
    d.put("layout", layout.id());
    d.put("table", table);
    return d;
  }

  @Override
  public SnapshotStats snapshot(KeyFilter filter, SnapshotFormat.Writer out) throws IOException {
    String quoted = StateTables.quote(table);
    String select =
        layout == Layout.V1
            ? "SELECT key, value::text, isbinary, xmin::text, expiredate, insertdate, updatedate"
                + " FROM "
                + quoted
                + " WHERE expiredate IS NULL OR expiredate >= now()"
            : "SELECT key, value, false, etag::text, expires_at, created_at, updated_at FROM "
                + quoted
                + " WHERE expires_at IS NULL OR expires_at >= now()";
    String expiredColumn = layout == Layout.V1 ? "expiredate" : "expires_at";
    KeyCounts counts = new KeyCounts();
    try (Connection c = connector.open()) {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      long expired;
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*) FROM " + quoted + " WHERE " + expiredColumn + " < now()")) {
        rs.next();
        expired = rs.getLong(1);
      }
      try (InputStream copy =
          new PGCopyInputStream(
              c.unwrap(PGConnection.class), "COPY (" + select + ") TO STDOUT (FORMAT binary)")) {
        PgBinaryCopy.RowReader rows = rows(copy);
        for (byte[][] row = next(rows); row != null; row = next(rows)) {
          String key = PgBinaryCopy.text(row[0]);
          DaprKey dk = DaprKey.classify(key);
          if (!filter.all() && !filter.matches(dk)) {
            continue;
          }
          out.write(
              new StateEntry(
                  row[0],
                  row[1],
                  PgBinaryCopy.text(row[3]),
                  PgBinaryCopy.bool(row[2]),
                  PgBinaryCopy.timestamp(row[4]),
                  PgBinaryCopy.timestamp(row[5]),
                  PgBinaryCopy.timestamp(row[6]),
                  Map.of()));
          counts.add(dk);
        }
      }
      c.commit();
      return new SnapshotStats(counts, expired);
    } catch (SQLException e) {
      throw failed("read", e);
    }
  }

  @Override
  public RestoreStats restore(SnapshotFormat.Reader in, KeyFilter filter, boolean clean)
      throws IOException, LiveDataException {
    Object snapshotLayout = in.header().get("layout");
    if (!layout.id().equals(snapshotLayout)) {
      throw new IOException(
          "unable to restore a PostgreSQL "
              + snapshotLayout
              + " snapshot into the "
              + layout.id()
              + " table "
              + table
              + " on "
              + server
              + ": the layouts differ (Dapr cannot migrate between them either)");
    }
    String quoted = StateTables.quote(table);
    KeyCounts counts = new KeyCounts();
    long expired = 0;
    long removed = 0;
    try (Connection c = connector.open()) {
      c.setAutoCommit(false);
      try {
        try (Statement s = c.createStatement()) {
          s.execute("SET LOCAL lock_timeout = '30s'");
          s.execute("LOCK TABLE " + quoted + " IN SHARE ROW EXCLUSIVE MODE");
        }
        Instant now;
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT now()")) {
          rs.next();
          now = rs.getTimestamp(1).toInstant();
        }
        long live = countLive(c, quoted, filter);
        if (live > 0 && !clean) {
          throw new LiveDataException(
              "the "
                  + layout.id()
                  + " table "
                  + table
                  + " on "
                  + server
                  + " holds "
                  + live
                  + " live key(s) in the restore's scope; give --clean to replace them");
        }
        removed = StateTables.deleteScope(c, quoted, filter);
        expired = copyIn(c, quoted, in, filter, now, counts);
        c.commit();
      } catch (IOException | LiveDataException | SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failed("write", e);
    }
    return new RestoreStats(counts, expired, removed, layout == Layout.V2);
  }

  /**
   * Writes the snapshot's entries in scope with binary COPY; counts them into {@code counts}.
   *
   * @return how many had expired since the snapshot and were left out
   */
  private long copyIn(
      Connection c,
      String quoted,
      SnapshotFormat.Reader in,
      KeyFilter filter,
      Instant now,
      KeyCounts counts)
      throws IOException, SQLException {
    long expired = 0;
    try (OutputStream copy =
        new PGCopyOutputStream(
            c.unwrap(PGConnection.class),
            layout == Layout.V1
                ? "COPY "
                    + quoted
                    + " (key, value, isbinary, insertdate, updatedate, expiredate) FROM STDIN"
                    + " (FORMAT binary)"
                : "COPY "
                    + quoted
                    + " (key, value, etag, created_at, updated_at, expires_at) FROM STDIN"
                    + " (FORMAT binary)")) {
      PgBinaryCopy.RowWriter rows = new PgBinaryCopy.RowWriter(copy);
      for (StateEntry e = in.next(); e != null; e = in.next()) {
        DaprKey dk = DaprKey.classify(e.keyText());
        if (!filter.all() && !filter.matches(dk)) {
          continue;
        }
        if (e.expiredAt(now)) {
          expired++;
          continue;
        }
        Instant created = e.createdAt() == null ? now : e.createdAt();
        if (layout == Layout.V1) {
          rows.row(
              e.key(),
              PgBinaryCopy.jsonb(e.value()),
              PgBinaryCopy.bool(e.binary()),
              PgBinaryCopy.timestamp(created),
              PgBinaryCopy.timestamp(e.updatedAt()),
              PgBinaryCopy.timestamp(e.expiresAt()));
        } else {
          UUID etag = e.etag() == null ? UUID.randomUUID() : UUID.fromString(e.etag());
          rows.row(
              e.key(),
              e.value(),
              PgBinaryCopy.uuid(etag),
              PgBinaryCopy.timestamp(created),
              PgBinaryCopy.timestamp(e.updatedAt()),
              PgBinaryCopy.timestamp(e.expiresAt()));
        }
        counts.add(dk);
      }
      rows.finish();
    }
    return expired;
  }

  @Override
  public void check() throws IOException {
    try (Connection c = connector.open()) {
      c.isValid(10);
    } catch (SQLException e) {
      // 28P01 invalid_password, 28000 invalid_authorization_specification
      if ("28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState())) {
        throw new CredentialsRefusedException(
            "PostgreSQL state store "
                + server
                + " refused the user or password of the Component's connectionString: "
                + StateTables.firstLine(e.getMessage()),
            e);
      }
      throw failed("connect to", e);
    }
  }

  @Override
  public long liveKeys(KeyFilter filter) throws IOException {
    try (Connection c = connector.open()) {
      return countLive(c, StateTables.quote(table), filter);
    } catch (SQLException e) {
      throw failed("read", e);
    }
  }

  private long countLive(Connection c, String quoted, KeyFilter filter) throws SQLException {
    String expiredColumn = layout == Layout.V1 ? "expiredate" : "expires_at";
    long live = 0;
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT key FROM "
                    + quoted
                    + " WHERE "
                    + expiredColumn
                    + " IS NULL OR "
                    + expiredColumn
                    + " >= now()");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (filter.matches(rs.getString(1))) {
          live++;
        }
      }
    }
    return live;
  }

  /** The COPY's rows; the header is read here, so a connection lost at once is named too. */
  private PgBinaryCopy.RowReader rows(InputStream copy) throws IOException {
    try {
      return new PgBinaryCopy.RowReader(copy, 7);
    } catch (IOException e) {
      throw readFailed(e);
    }
  }

  /** The next COPY row; a lost connection is reported as this store's failure, not the sink's. */
  private byte[][] next(PgBinaryCopy.RowReader rows) throws IOException {
    try {
      return rows.next();
    } catch (IOException e) {
      throw readFailed(e);
    }
  }

  private IOException readFailed(IOException e) {
    Throwable cause = e.getCause() instanceof SQLException sql ? sql : e;
    return new IOException(
        "unable to read PostgreSQL state table "
            + table
            + " on "
            + server
            + ": "
            + StateTables.firstLine(cause.getMessage()),
        e);
  }

  private IOException failed(String verb, SQLException e) {
    return new IOException(
        "unable to "
            + verb
            + " PostgreSQL state table "
            + table
            + " on "
            + server
            + ": "
            + StateTables.firstLine(e.getMessage()),
        e);
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "PostgresStateStore[" + layout.id() + " " + table + " on " + server + "]";
  }
}
