package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.PartReadException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.repository.TamperedRecordException;
import io.aido.backup.dapr.DaprRestore;
import io.aido.backup.dapr.DaprRestorePlan;
import io.aido.backup.dapr.DaprSnapshotFacts;
import io.aido.backup.dapr.KeyFilter;
import io.aido.backup.dapr.PostgresStateStore;
import io.aido.backup.dapr.RedisStateStore;
import io.aido.backup.dapr.SchedulerAccess;
import io.aido.backup.postgres.Databases;
import io.aido.backup.postgres.PgConnection;
import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The drill's {@code dapr} step: the newest Dapr snapshot restored into scratch state stores by the
 * {@code restore} command's own code ({@link DaprRestorePlan}, {@link DaprRestore}: every part
 * authenticated first, then written store by store, each key count compared with the record).
 *
 * <p>Scratch stores: a {@code state.postgresql} store goes into a database created for it on the
 * scratch server ({@value #PREFIX}{@code <random>}, its Dapr table created with the recorded
 * layout), dropped afterwards; a {@code state.redis} store goes into the scratch Redis ({@code
 * --scratch-redis host:port/db}; the i-th Redis store of the backup into database {@code db + i}),
 * which must be empty and is emptied afterwards. The Scheduler's reminders and jobs go into the
 * scratch etcd of {@code --scratch-scheduler-endpoints} ({@link DaprSchedulerDrill}: it must hold
 * no Dapr key, and is emptied afterwards); without it the step notes that they were not drilled.
 *
 * <p>The recovery point is the snapshot's start.
 */
final class DaprDrill {
  static final String COMPONENT = "dapr";
  static final String PREFIX = "aido_drill_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Repository repo;
  private final KeyEncryptionKey kek;
  private final PgConnection pg;
  private final HostAndPort redis;
  private final int redisDb;
  private final Clock clock;
  private final PrintStream out;
  private final List<String> databases = new ArrayList<>();
  private final List<Integer> redisDbs = new ArrayList<>();
  private final DaprSchedulerDrill schedulerDrill;

  /**
   * @param redis the scratch Redis, or null when none was given
   * @param schedulerEndpoints the scratch Scheduler etcd's URLs, empty when none was given
   */
  DaprDrill(
      Repository repo,
      KeyEncryptionKey kek,
      PgConnection pg,
      HostAndPort redis,
      int redisDb,
      List<String> schedulerEndpoints,
      Clock clock,
      PrintStream out) {
    this.repo = repo;
    this.kek = kek;
    this.pg = pg;
    this.redis = redis;
    this.redisDb = redisDb;
    this.schedulerDrill = new DaprSchedulerDrill(schedulerEndpoints);
    this.clock = clock;
    this.out = out;
  }

  DrillStep run(BackupRecord record) {
    DrillStep.Log log = new DrillStep.Log(COMPONENT);
    log.backup(record.id().value());
    out.printf("dapr: restoring snapshot %s into scratch state stores%n", record.id());
    try {
      restore(record, log);
    } finally {
      cleanup(log);
    }
    DrillStep step = log.result();
    out.printf("dapr: %s%n", step.status().name().toLowerCase(Locale.ROOT));
    return step;
  }

  private void restore(BackupRecord record, DrillStep.Log log) {
    DaprSnapshotFacts facts;
    DaprRestorePlan plan;
    try {
      facts = DaprSnapshotFacts.of(record);
      plan =
          DaprRestorePlan.of(
              record.id().value(),
              facts,
              KeyFilter.ALL,
              false,
              (ns, name) -> true,
              List.of(),
              List.of());
    } catch (IllegalArgumentException | JobException e) {
      log.problem("backup " + record.id() + ": " + e.getMessage());
      return;
    }
    BackupReader reader = reader(record, log);
    if (reader == null) {
      return;
    }
    SchedulerAccess.Target scheduler = null;
    if (facts.schedulerPart().isPresent()) {
      try {
        scheduler = schedulerDrill.open(log);
      } catch (IOException e) {
        log.error("scratch Dapr Scheduler: " + e.getMessage());
        return;
      }
    }
    List<DaprRestore.Target> targets = targets(record, plan, log);
    if (targets == null) {
      return;
    }
    DaprRestore steps = new DaprRestore(record, reader, plan, false, out, clock);
    try {
      steps.check(targets, scheduler);
    } catch (PartReadException e) {
      log.problem(e.getMessage());
      return;
    } catch (JobException | IOException e) {
      log.error(e.getMessage());
      return;
    }
    Instant t0 = clock.instant();
    List<String> differing;
    try {
      differing = steps.write(targets, scheduler);
    } catch (JobException e) {
      log.problem(e.getMessage());
      return;
    }
    log.restored(Duration.between(t0, clock.instant()));
    compare(targets, plan, differing, log);
    boolean schedulerMatches =
        scheduler == null
            || schedulerDrill.compare(
                facts.schedulerPart().orElseThrow(),
                differing.contains(DaprRestore.SCHEDULER),
                log);
    if (differing.isEmpty() && schedulerMatches) {
      log.recoveryPoint(record.startedAt());
    }
  }

  /** The backup's reader with every stored part present, or null (and why in {@code log}). */
  private BackupReader reader(BackupRecord record, DrillStep.Log log) {
    try {
      BackupReader reader = repo.reader(record, kek);
      reader.checkStoredParts();
      return reader;
    } catch (PartReadException | TamperedRecordException e) {
      log.problem(e.getMessage());
    } catch (IOException | GeneralSecurityException e) {
      log.error("unable to read backup " + record.id() + ": " + e.getMessage());
    }
    return null;
  }

  /** An empty scratch store for every recorded store, or null (and why in {@code log}). */
  private List<DaprRestore.Target> targets(
      BackupRecord record, DaprRestorePlan plan, DrillStep.Log log) {
    List<DaprRestore.Target> targets = new ArrayList<>();
    int redisStores = 0;
    for (DaprSnapshotFacts.Store s : plan.stores()) {
      Optional<PartRecord> part = record.part(s.part());
      if (part.isEmpty()) {
        log.problem("backup " + record.id() + ": its record names no part for " + s.id());
        return null;
      }
      try {
        targets.add(new DaprRestore.Target(s, part.get(), scratchStore(s, redisStores)));
      } catch (IOException | JobException e) {
        log.error("scratch store for " + s.id() + ": " + e.getMessage());
        return null;
      }
      if ("state.redis".equals(s.type())) {
        redisStores++;
      }
    }
    return targets;
  }

  /** Records each state store's key count against the record. */
  private static void compare(
      List<DaprRestore.Target> targets,
      DaprRestorePlan plan,
      List<String> differing,
      DrillStep.Log log) {
    for (DaprRestore.Target t : targets) {
      String recorded = plan.expected(t.recorded()).map(Object::toString).orElse("unknown");
      if (differing.contains(t.id())) {
        log.problem(
            "state store "
                + t.id()
                + ": the key count restored differs from the record ("
                + recorded
                + ")");
      } else {
        log.check("state store " + t.id() + ": " + recorded + " key(s), as recorded");
      }
    }
  }

  /** A scratch store for {@code s}, empty, of its recorded type and layout. */
  private io.aido.backup.dapr.StateStore scratchStore(DaprSnapshotFacts.Store s, int redisIndex)
      throws IOException, JobException {
    return switch (s.type()) {
      case "state.postgresql" -> postgres(s);
      case "state.redis" -> redis(redisIndex);
      default -> throw new IOException("state store type " + s.type() + " cannot be drilled");
    };
  }

  private io.aido.backup.dapr.StateStore postgres(DaprSnapshotFacts.Store s) throws JobException {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    String db = PREFIX + HexFormat.of().formatHex(random);
    PostgresStateStore.Layout layout = PostgresStateStore.Layout.of(s.version());
    Databases.create(pg, db);
    databases.add(db);
    String table = "state";
    try (Connection c = pg.open(db);
        Statement st = c.createStatement()) {
      st.execute(
          layout == PostgresStateStore.Layout.V1
              ? "CREATE TABLE state (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, isbinary"
                  + " boolean NOT NULL, insertdate timestamp with time zone NOT NULL DEFAULT now(),"
                  + " updatedate timestamp with time zone NULL, expiredate timestamp with time"
                  + " zone)"
              : "CREATE TABLE state (key text NOT NULL PRIMARY KEY, value bytea NOT NULL, etag"
                  + " uuid NOT NULL, created_at timestamp with time zone NOT NULL DEFAULT now(),"
                  + " updated_at timestamp with time zone, expires_at timestamp with time zone)");
    } catch (SQLException e) {
      throw JobException.failed(
          "unable to create the Dapr table in scratch database '"
              + db
              + "' on "
              + pg.server()
              + ": "
              + e.getMessage(),
          e);
    }
    return new PostgresStateStore(() -> pg.open(db), layout, table, pg.server() + "/" + db);
  }

  private io.aido.backup.dapr.StateStore redis(int index) throws IOException {
    if (redis == null) {
      throw new IOException("the backup holds a state.redis store: give --scratch-redis");
    }
    int db = redisDb + index;
    JedisClientConfig config =
        DefaultJedisClientConfig.builder()
            .database(db)
            .timeoutMillis(10_000)
            .clientName("aido-backup-drill")
            .build();
    try (Jedis jedis = new Jedis(redis, config)) {
      long keys = jedis.dbSize();
      if (keys > 0) {
        throw new IOException(
            "scratch Redis " + redis + "/" + db + " holds " + keys + " key(s); give an empty one");
      }
    } catch (JedisException e) {
      throw new IOException(
          "unable to reach scratch Redis " + redis + "/" + db + ": " + e.getMessage(), e);
    }
    redisDbs.add(db);
    return new RedisStateStore(() -> new Jedis(redis, config), redis + "/" + db);
  }

  private void cleanup(DrillStep.Log log) {
    schedulerDrill.cleanup(log);
    for (String db : databases) {
      try {
        Databases.drop(pg, db);
      } catch (JobException e) {
        log.leftover("scratch database '" + db + "' on " + pg.server() + ": " + e.getMessage());
      }
    }
    for (int db : redisDbs) {
      try (Jedis jedis =
          new Jedis(redis, DefaultJedisClientConfig.builder().database(db).build())) {
        jedis.flushDB();
      } catch (JedisException e) {
        log.leftover("the keys in scratch Redis " + redis + "/" + db + ": " + e.getMessage());
      }
    }
  }
}
