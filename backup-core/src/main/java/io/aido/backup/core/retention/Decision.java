package io.aido.backup.core.retention;

import java.util.List;
import java.util.Objects;

/**
 * What happens to one backup: kept, with at least one reason, or removed, with none.
 *
 * @param backup the backup
 * @param reasons why it is kept, in the order the rules are applied; empty when it is removed
 */
public record Decision(Candidate backup, List<Reason> reasons) {

  public Decision {
    Objects.requireNonNull(backup, "backup");
    reasons = List.copyOf(reasons);
  }

  public boolean kept() {
    return !reasons.isEmpty();
  }

  /** Whether one of the reasons is {@code rule}. */
  public boolean keptBy(Reason.Rule rule) {
    return reasons.stream().anyMatch(r -> r.rule() == rule);
  }

  /** One line: {@code keep 20261124T020000Z-a1b2c3 (daily 2026-11-24, monthly 2026-11)}. */
  @Override
  public String toString() {
    if (!kept()) {
      return "remove " + backup.id();
    }
    StringBuilder b = new StringBuilder("keep   ").append(backup.id()).append(" (");
    for (int i = 0; i < reasons.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(reasons.get(i).text());
    }
    return b.append(')').toString();
  }
}
