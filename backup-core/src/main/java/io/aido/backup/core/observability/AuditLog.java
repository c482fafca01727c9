package io.aido.backup.core.observability;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.config.Redaction;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records who read, restored or deleted which backup: as a JSON object in the repository and as a
 * log line.
 *
 * <p>Guarantees: each event is its own object, {@code
 * audit/<yyyy-MM-dd>/<yyyyMMdd'T'HHmmss.SSS'Z'>-<action>-<random>.json}, written create-only
 * through {@link BlobStore#create}, so no event is ever rewritten or lost to a concurrent one. The
 * same event is logged at INFO with the fields {@code audit_action}, {@code backup_id} and {@code
 * kind}. Events hold no secrets (every string passes through {@link Redaction}).
 *
 * <pre>{@code
 * AuditLog audit = new AuditLog(store, clock, "db-backup", AuditLog.actor(Environment.system()));
 * audit.record(AuditAction.RESTORE, record.kind(), record.id(), Map.of("target", "todo"));
 * }</pre>
 *
 * <p>Throws {@link IOException} when the event cannot be stored; the caller decides whether the
 * action may go on without its audit record (a restore should not).
 */
public final class AuditLog {
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final DateTimeFormatter DAY =
      DateTimeFormatter.ofPattern("uuuu-MM-dd").withZone(ZoneOffset.UTC);
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build();

  private final BlobStore store;
  private final Clock clock;
  private final String job;
  private final String actor;
  private final RandomGenerator random;

  public AuditLog(BlobStore store, Clock clock, String job, String actor) {
    this(store, clock, job, actor, new java.security.SecureRandom());
  }

  AuditLog(BlobStore store, Clock clock, String job, String actor, RandomGenerator random) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.job = Objects.requireNonNull(job, "job");
    this.actor = Objects.requireNonNull(actor, "actor");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * Who is running this process: {@code BACKUP_ACTOR} when set (a restore Job template can name the
   * person who asked for it), else {@code user@host} from the OS user and {@code HOSTNAME} (the
   * pod's name in Kubernetes).
   */
  public static String actor(Environment env) {
    String explicit = env.value("BACKUP_ACTOR");
    if (explicit != null) {
      return explicit.trim();
    }
    String user = System.getProperty("user.name", "unknown");
    String host = env.value("HOSTNAME");
    return host == null ? user : user + "@" + host;
  }

  /**
   * Records an event about a backup, now.
   *
   * @return the stored event
   * @throws IOException if the event cannot be stored (it is still logged, as failed)
   */
  public AuditEvent record(
      AuditAction action, BackupKind kind, BackupId backupId, Map<String, String> details)
      throws IOException {
    Map<String, String> clean = new LinkedHashMap<>();
    if (details != null) {
      details.forEach((k, v) -> clean.put(Redaction.redact(k), Redaction.redact(v)));
    }
    Instant now = clock.instant();
    AuditEvent event =
        new AuditEvent(
            now,
            action,
            job,
            Redaction.redact(actor),
            kind == null ? null : kind.id(),
            backupId == null ? null : backupId.value(),
            clean);
    ObjectKey key = key(now, action);
    byte[] json = toJson(event);
    try {
      store.create(key, new ByteArrayInputStream(json));
    } catch (IOException e) {
      LOG.error(
          "audit: unable to store event {} of backup {} by {}: {}",
          action,
          event.backupId(),
          event.actor(),
          e.getMessage());
      throw e;
    }
    LOG.atInfo()
        .addKeyValue("audit_action", action.id())
        .addKeyValue("backup_id", event.backupId())
        .addKeyValue("kind", event.kind())
        .log(
            "audit: {} of backup {} by {} recorded as {}",
            action,
            event.backupId(),
            event.actor(),
            key);
    return event;
  }

  private ObjectKey key(Instant at, AuditAction action) {
    byte[] suffix = new byte[3];
    random.nextBytes(suffix);
    return ObjectKey.of(
        Layout.AUDIT
            + DAY.format(at)
            + "/"
            + Layout.stamp(at)
            + "-"
            + action.id()
            + "-"
            + HexFormat.of().formatHex(suffix)
            + ".json");
  }

  static byte[] toJson(AuditEvent event) {
    try {
      return JSON.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unable to write audit event as JSON", e);
    }
  }
}
