package io.aido.backup.postgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A libpq password file: lines {@code hostname:port:database:username:password}, {@code *} matches
 * anything, {@code \} escapes {@code :} and {@code \}, the first matching line wins, {@code #}
 * starts a comment. Malformed lines are skipped, as libpq does.
 */
final class PassFile {
  private final List<String[]> entries;

  private PassFile(List<String[]> entries) {
    this.entries = entries;
  }

  static PassFile read(Path file) throws IOException {
    List<String[]> entries = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] fields = split(line);
        if (fields.length == 5) {
          entries.add(fields);
        }
      }
    }
    return new PassFile(entries);
  }

  Optional<String> lookup(String host, String port, String database, String user) {
    String[] wanted = {host, port, database, user};
    for (String[] e : entries) {
      boolean match = true;
      for (int i = 0; i < 4 && match; i++) {
        match = e[i].equals("*") || e[i].equals(wanted[i]);
      }
      if (match) {
        return Optional.of(e[4]);
      }
    }
    return Optional.empty();
  }

  private static String[] split(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length()) {
        field.append(line.charAt(++i));
      } else if (c == ':' && fields.size() < 4) {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    fields.add(field.toString());
    return fields.toArray(new String[0]);
  }
}
