package io.aido.backup.core.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.config.LogFormat;
import io.aido.backup.core.config.Redaction;
import io.aido.backup.core.observability.internal.Logging;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AuditLogTest {
  private static final Instant T = Instant.parse("2026-11-24T02:03:04.567Z");
  private static final BackupId ID = new BackupId("20261124T020000Z-a1b2c3");
  private final Clock clock = Clock.fixed(T, ZoneOffset.UTC);

  @Test
  void record_restore_writesJsonObjectUnderDayAndLogsIt() throws Exception {
    MemoryBlobStore store = new MemoryBlobStore(clock, "memory://audit");
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    Logging.configure(LogFormat.JSON, false, new PrintStream(logs, true), System.err);
    AuditLog audit = new AuditLog(store, clock, "db-backup", "alice@pod-1", new Random(1));

    audit.record(AuditAction.RESTORE, BackupKind.DB_LOGICAL, ID, Map.of("target", "todo"));

    List<ObjectInfo> objects = store.list("audit/");
    assertThat(objects).hasSize(1);
    assertThat(objects.get(0).key().name())
        .matches("audit/2026-11-24/20261124T020304\\.567Z-restore-[0-9a-f]{6}\\.json");
    JsonNode event;
    try (InputStream in = store.open(objects.get(0).key())) {
      event = new ObjectMapper().readTree(in);
    }
    assertThat(event.get("time").asText()).isEqualTo("2026-11-24T02:03:04.567Z");
    assertThat(event.get("action").asText()).isEqualTo("restore");
    assertThat(event.get("job").asText()).isEqualTo("db-backup");
    assertThat(event.get("actor").asText()).isEqualTo("alice@pod-1");
    assertThat(event.get("kind").asText()).isEqualTo("db-logical");
    assertThat(event.get("backupId").asText()).isEqualTo(ID.value());
    assertThat(event.get("details").get("target").asText()).isEqualTo("todo");
    JsonNode line =
        new ObjectMapper()
            .readTree(logs.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
    assertThat(line.get("message").asText()).startsWith("audit: restore of backup " + ID);
    assertThat(line.get("audit_action").asText()).isEqualTo("restore");
    assertThat(line.get("backup_id").asText()).isEqualTo(ID.value());
  }

  @Test
  void record_twoEventsSameMillisecond_bothKept() throws Exception {
    MemoryBlobStore store = new MemoryBlobStore(clock, "memory://audit");
    AuditLog audit = new AuditLog(store, clock, "retention", "cron");

    audit.record(AuditAction.DELETE, BackupKind.DAPR, ID, Map.of());
    audit.record(AuditAction.DELETE, BackupKind.DAPR, ID, Map.of());

    assertThat(store.list("audit/2026-11-24/")).hasSize(2);
  }

  @Test
  void record_detailWithSecret_storesItMasked() throws Exception {
    String secret = "audit-secret-" + System.nanoTime();
    Redaction.register(secret);
    MemoryBlobStore store = new MemoryBlobStore(clock, "memory://audit");
    AuditLog audit = new AuditLog(store, clock, "db-backup", "bob");

    audit.record(AuditAction.READ, BackupKind.DB_LOGICAL, ID, Map.of("dsn", "pw=" + secret));

    try (InputStream in = store.open(store.list("audit/").get(0).key())) {
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(json).contains("pw=***").doesNotContain(secret);
    }
  }

  @Test
  void record_storeFails_throwsAndNamesNothingSecret() {
    // a store whose disk is full: no real store can be made to fail on demand here
    MemoryBlobStore memory = new MemoryBlobStore(clock, "memory://broken");
    BlobStore failing =
        new BlobStore() {
          @Override
          public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
            throw new IOException("unable to create object '" + key + "' in memory://broken: full");
          }

          @Override
          public void delete(ObjectKey key) {
            memory.delete(key);
          }

          @Override
          public InputStream open(ObjectKey key, long offset, long length) throws IOException {
            return memory.open(key, offset, length);
          }

          @Override
          public Optional<ObjectInfo> stat(ObjectKey key) {
            return memory.stat(key);
          }

          @Override
          public List<ObjectInfo> list(String prefix) {
            return memory.list(prefix);
          }

          @Override
          public String describe() {
            return memory.describe();
          }
        };
    AuditLog audit = new AuditLog(failing, clock, "db-backup", "bob");

    assertThatThrownBy(() -> audit.record(AuditAction.RESTORE, BackupKind.DB_LOGICAL, ID, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("full");
  }

  @Test
  void actor_prefersBackupActorThenUserAtHost() {
    assertThat(AuditLog.actor(Environment.of(Map.of("BACKUP_ACTOR", "ops:alice", "HOSTNAME", "p"))))
        .isEqualTo("ops:alice");
    assertThat(AuditLog.actor(Environment.of(Map.of("HOSTNAME", "db-backup-123"))))
        .isEqualTo(System.getProperty("user.name") + "@db-backup-123");
    assertThat(Optional.of(AuditLog.actor(Environment.of(Map.of()))))
        .contains(System.getProperty("user.name"));
  }
}
