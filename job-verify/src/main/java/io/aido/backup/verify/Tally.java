package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** What the levels of one verify run found so far: the problem lines and the bytes and failures. */
final class Tally {
  private final List<String> problems = new ArrayList<>();
  private final Map<BackupKind, Long> bytes = new EnumMap<>(BackupKind.class);
  private final Map<BackupKind, Integer> failures = new EnumMap<>(BackupKind.class);

  /** Counts {@code checked} stored bytes of {@code kind} read, {@code bad} of its backups bad. */
  void add(BackupKind kind, long checked, int bad) {
    bytes.merge(kind, checked, Long::sum);
    if (bad > 0) {
      failures.merge(kind, bad, Integer::sum);
    }
  }

  void problem(String line) {
    problems.add(line);
  }

  void problems(List<String> lines) {
    problems.addAll(lines);
  }

  List<String> problems() {
    return problems;
  }

  long bytes(BackupKind kind) {
    return bytes.getOrDefault(kind, 0L);
  }

  int failures(BackupKind kind) {
    return failures.getOrDefault(kind, 0);
  }

  long bytes() {
    return bytes.values().stream().mapToLong(Long::longValue).sum();
  }

  int failures() {
    return failures.values().stream().mapToInt(Integer::intValue).sum();
  }
}
