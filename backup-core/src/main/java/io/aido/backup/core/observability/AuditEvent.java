package io.aido.backup.core.observability;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.aido.backup.core.config.Redaction;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One audit event: who did what to which backup, and when. Holds no secret: the details are names,
 * counts and targets, and pass through {@link Redaction} when written.
 *
 * @param time when it happened
 * @param action what was done
 * @param job the job that did it, such as {@code db-backup}
 * @param actor who ran the job ({@code BACKUP_ACTOR}, else the OS user and host or pod)
 * @param kind the backup's kind, such as {@code db-logical}
 * @param backupId the backup's id
 * @param details further facts (restore target, reason), never secrets
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record AuditEvent(
    Instant time,
    AuditAction action,
    String job,
    String actor,
    String kind,
    String backupId,
    Map<String, String> details) {

  public AuditEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(actor, "actor");
    details = details == null ? Map.of() : Map.copyOf(details);
  }
}
