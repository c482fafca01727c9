package io.aido.backup.dapr;

/**
 * What a state-store key is, by Dapr's key scheme.
 *
 * <ul>
 *   <li>{@code <app-id>||<key>}: state an app saved through the state API ({@link Kind#STATE});
 *   <li>{@code <app-id>||<actor-type>||<actor-id>||<key>}: an actor's state ({@link Kind#ACTOR});
 *   <li>{@code actors||<actor-type>} and {@code actors||<actor-type>||...}: reminders, which Dapr
 *       before the Scheduler service kept in the actor state store ({@link Kind#REMINDER}, no app);
 *   <li>anything else ({@code keyPrefix: none}, a custom prefix with another shape): {@link
 *       Kind#OTHER}.
 * </ul>
 *
 * <p>A state key may itself contain {@code ||}; Dapr cannot tell it from actor state either, so
 * four or more parts are read as actor state.
 *
 * @param kind the kind of key
 * @param appId the app id, or {@code null} for reminders and other keys
 * @param actorType the actor type for actor state and reminders, else {@code null}
 */
public record DaprKey(Kind kind, String appId, String actorType) {

  /** The kinds of keys. */
  public enum Kind {
    STATE("state"),
    ACTOR("actor"),
    REMINDER("reminder"),
    OTHER("other");

    private final String id;

    Kind(String id) {
      this.id = id;
    }

    /** The name in records and output. */
    public String id() {
      return id;
    }
  }

  private static final String SEPARATOR = "||";

  /** Classifies {@code key}. */
  public static DaprKey classify(String key) {
    String[] parts = key.split("\\|\\|", -1);
    if (parts.length >= 2 && parts[0].equals("actors") && !parts[1].isEmpty()) {
      return new DaprKey(Kind.REMINDER, null, parts[1]);
    }
    if (parts.length >= 4 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
      return new DaprKey(Kind.ACTOR, parts[0], parts[1]);
    }
    if (parts.length >= 2 && !parts[0].isEmpty()) {
      return new DaprKey(Kind.STATE, parts[0], null);
    }
    return new DaprKey(Kind.OTHER, null, null);
  }

  /** {@code <app-id>||<key>}. */
  public static String stateKey(String appId, String key) {
    return appId + SEPARATOR + key;
  }

  /** {@code <app-id>||<actor-type>||<actor-id>||<key>}. */
  public static String actorKey(String appId, String actorType, String actorId, String key) {
    return appId + SEPARATOR + actorType + SEPARATOR + actorId + SEPARATOR + key;
  }
}
