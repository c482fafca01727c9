package io.aido.backup.core.storage;

/**
 * The few templates every storage message is made from, so that "missing" reads differently from
 * "failed" wherever it is raised.
 */
public final class StorageMessages {
  private StorageMessages() {}

  /** {@code unable to open missing object 'x' in file:///r}. */
  public static String missing(String verb, ObjectKey key, String store) {
    return "unable to " + verb + " missing object '" + key + "' in " + store;
  }

  /** {@code unable to create object 'x' in gs://b/p: connection reset}. */
  public static String failed(String verb, ObjectKey key, String store, String cause) {
    return "unable to " + verb + " object '" + key + "' in " + store + ": " + cause;
  }

  /** {@code unable to list objects under 'catalog/' in file:///r: permission denied}. */
  public static String listFailed(String prefix, String store, String cause) {
    return "unable to list objects under '" + prefix + "' in " + store + ": " + cause;
  }

  /** The cause's message, or its type when it has none. */
  public static String cause(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }
}
