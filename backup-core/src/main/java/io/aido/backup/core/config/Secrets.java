package io.aido.backup.core.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads secrets the way Kubernetes hands them over: an environment variable {@code NAME}, or a file
 * named by {@code NAME_FILE} (a mounted Secret).
 *
 * <p>Guarantees: a value read here is a {@link Secret}, registered for redaction before anything
 * else happens with it. Problems are reported without the value: "PGPASSWORD_FILE: unable to read
 * file '/secrets/pg' : permission denied". One trailing line break of a file is dropped, since
 * {@code echo secret > file} adds one.
 */
public final class Secrets {
  /** Secret files larger than this are refused: a secret is a line, not a document. */
  static final int MAX_FILE_BYTES = 64 * 1024;

  private Secrets() {}

  /**
   * The secret in {@code name} or in the file {@code name_FILE} names, or empty when neither is
   * set. Problems (both set, unreadable file, empty file) go to {@code problems}.
   */
  public static Optional<Secret> fromEnvironment(
      Environment env, String name, ConfigProblems problems) {
    String direct = env.get(name);
    String file = env.value(name + "_FILE");
    if (direct != null && !direct.isEmpty()) {
      Secret secret = Secret.of(direct);
      if (file != null) {
        problems.add(name, "set either " + name + " or " + name + "_FILE, not both");
      }
      return Optional.of(secret);
    }
    if (file == null) {
      return Optional.empty();
    }
    try {
      String value = readFile(Path.of(file));
      if (value.isEmpty()) {
        problems.add(name + "_FILE", "file '" + file + "' is empty");
        return Optional.empty();
      }
      return Optional.of(Secret.of(value));
    } catch (IOException | RuntimeException e) {
      problems.add(name + "_FILE", "unable to read file '" + file + "': " + reason(e));
      return Optional.empty();
    }
  }

  private static String readFile(Path path) throws IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
    }
    String value = new String(bytes, StandardCharsets.UTF_8);
    if (value.endsWith("\r\n")) {
      return value.substring(0, value.length() - 2);
    }
    if (value.endsWith("\n")) {
      return value.substring(0, value.length() - 1);
    }
    return value;
  }

  /** Why a file could not be read, without quoting anything from inside it. */
  static String reason(Exception e) {
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
