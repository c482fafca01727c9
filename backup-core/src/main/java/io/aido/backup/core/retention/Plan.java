package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of {@link Retention#decide}: one decision per backup of a group, newest first.
 *
 * <p>A refused plan keeps every backup (each with the reason {@link Reason.Rule#REFUSED}) and
 * carries the refusal message; whoever applies plans must treat it as a failure.
 *
 * @param policy the policy that was applied
 * @param now the time the policy was applied at
 * @param decisions one per backup, newest first
 * @param refusal why the plan was refused, or {@code null} when it was not
 */
public record Plan(RetentionPolicy policy, Instant now, List<Decision> decisions, String refusal) {

  public Plan {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(now, "now");
    decisions = List.copyOf(decisions);
  }

  /** Whether the policy would have removed every backup, so that nothing is removed. */
  public boolean refused() {
    return refusal != null;
  }

  /** Why the plan was refused, when it was. */
  public Optional<String> refusalMessage() {
    return Optional.ofNullable(refusal);
  }

  /** The kept backups, newest first. */
  public List<Decision> kept() {
    return decisions.stream().filter(Decision::kept).toList();
  }

  /** The backups to remove, newest first; always empty when the plan is refused. */
  public List<Decision> removed() {
    return decisions.stream().filter(d -> !d.kept()).toList();
  }

  /** The decision for {@code id}, if that backup was part of the input. */
  public Optional<Decision> decision(BackupId id) {
    return decisions.stream().filter(d -> d.backup().id().equals(id)).findFirst();
  }

  /** The policy sentence, one line per backup, and the totals. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(policy.toString()).append(" at ").append(now).append('\n');
    for (Decision d : decisions) {
      b.append("  ").append(d).append('\n');
    }
    b.append("keep ").append(kept().size()).append(", remove ").append(removed().size());
    if (refused()) {
      b.append(" (refused: ").append(refusal).append(')');
    }
    return b.toString();
  }
}
