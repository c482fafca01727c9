package io.aido.backup.dapr;

import io.aido.backup.core.catalog.BackupRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one JSON-shaped object of a record's facts by name, failing with the backup and the fact
 * named: "backup 20261124T020000Z-a1b2c3 fact 'stores.part' is missing or not a string".
 */
final class FactReader {
  private final String backup;
  private final String prefix;
  private final Map<?, ?> facts;

  private FactReader(String backup, String prefix, Map<?, ?> facts) {
    this.backup = backup;
    this.prefix = prefix;
    this.facts = facts;
  }

  static FactReader of(BackupRecord record) {
    return new FactReader(record.id().value(), "", record.facts());
  }

  boolean has(String name) {
    return facts.get(name) != null;
  }

  String string(String name) {
    if (!(facts.get(name) instanceof String s)) {
      throw problem(name, "is missing or not a string");
    }
    return s;
  }

  long number(String name) {
    if (!(facts.get(name) instanceof Number n)) {
      throw problem(name, "is missing or not a number");
    }
    return n.longValue();
  }

  List<String> strings(String name) {
    return list(name).stream().map(String::valueOf).toList();
  }

  Map<String, Long> counts(String name) {
    if (!(facts.get(name) instanceof Map<?, ?> m)) {
      throw problem(name, "is missing or not an object");
    }
    Map<String, Long> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getValue() instanceof Number n)) {
        throw problem(name, "holds '" + e.getKey() + "', which is not a number");
      }
      out.put(String.valueOf(e.getKey()), n.longValue());
    }
    return out;
  }

  /** The raw value of {@code name}, an object. */
  Map<?, ?> raw(String name) {
    if (!(facts.get(name) instanceof Map<?, ?> m)) {
      throw problem(name, "is missing or not an object");
    }
    return m;
  }

  FactReader object(String name) {
    return new FactReader(backup, prefix + name + ".", raw(name));
  }

  List<FactReader> objects(String name) {
    return list(name).stream()
        .map(
            o -> {
              if (!(o instanceof Map<?, ?> m)) {
                throw problem(name, "holds an entry that is not an object");
              }
              return new FactReader(backup, prefix + name + ".", m);
            })
        .toList();
  }

  private List<?> list(String name) {
    if (!(facts.get(name) instanceof List<?> l)) {
      throw problem(name, "is missing or not a list");
    }
    return l;
  }

  private IllegalArgumentException problem(String name, String what) {
    return new IllegalArgumentException(
        "backup " + backup + " fact '" + prefix + name + "' " + what);
  }
}
