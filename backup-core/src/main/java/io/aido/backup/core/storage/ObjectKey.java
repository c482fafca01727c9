package io.aido.backup.core.storage;

import java.util.Objects;

/**
 * The name of one object in a {@link BlobStore}, relative to the repository's root.
 *
 * <p>Guarantees: a key is a non-empty sequence of {@code /}-separated segments, none of them empty,
 * {@code .} or {@code ..}, with no backslash, no control character and no leading or trailing
 * slash. Every store maps it to the same place, so a key read back from a listing opens the same
 * object on a filesystem and in a bucket.
 *
 * <pre>{@code
 * ObjectKey part = ObjectKey.of("data/db-logical/20261124T020000Z-a1b2c3/todo.dump");
 * }</pre>
 *
 * @param name the slash-separated name
 * @throws IllegalArgumentException if the name breaks a rule above
 */
public record ObjectKey(String name) implements Comparable<ObjectKey> {

  public ObjectKey {
    Objects.requireNonNull(name, "name");
    String problem = problem(name);
    if (problem != null) {
      throw new IllegalArgumentException("invalid object name '" + name + "': " + problem);
    }
  }

  /** Same as the constructor, reads better at call sites. */
  public static ObjectKey of(String name) {
    return new ObjectKey(name);
  }

  /** The key formed by joining segments with {@code /}. */
  public static ObjectKey of(String first, String... more) {
    StringBuilder b = new StringBuilder(first);
    for (String m : more) {
      b.append('/').append(m);
    }
    return new ObjectKey(b.toString());
  }

  /** The last segment: {@code part-0} for {@code data/x/id/part-0}. */
  public String fileName() {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  /** Whether this key lies at or below {@code prefix} (a plain string prefix, as stores list). */
  public boolean startsWith(String prefix) {
    return name.startsWith(prefix);
  }

  @Override
  public int compareTo(ObjectKey other) {
    return name.compareTo(other.name);
  }

  @Override
  public String toString() {
    return name;
  }

  private static String problem(String name) {
    if (name.isEmpty()) {
      return "empty";
    }
    if (name.startsWith("/") || name.endsWith("/")) {
      return "leading or trailing '/'";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return "control character";
      }
      if (c == '\\') {
        return "backslash";
      }
    }
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty()) {
        return "empty segment";
      }
      if (segment.equals(".") || segment.equals("..")) {
        return "'.' or '..' segment";
      }
    }
    return null;
  }
}
