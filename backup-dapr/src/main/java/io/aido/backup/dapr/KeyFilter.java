package io.aido.backup.dapr;

import java.util.List;
import java.util.Set;

/**
 * Which keys a snapshot or restore covers: {@code --app-id} and {@code --actor-type}. Empty sets
 * mean "all".
 *
 * <p>An app id keeps that app's state and actor state; an actor type keeps that type's actor state
 * and reminders. Both given: keys that match both (the app's actors of that type). Reminders and
 * other keys have no app, so an app filter alone leaves them out; an actor type filter alone leaves
 * plain state and other keys out.
 *
 * @param appIds the app ids to keep, or empty for all
 * @param actorTypes the actor types to keep, or empty for all
 */
public record KeyFilter(Set<String> appIds, Set<String> actorTypes) {

  /** Every key. */
  public static final KeyFilter ALL = new KeyFilter(Set.of(), Set.of());

  public KeyFilter {
    appIds = appIds == null ? Set.of() : Set.copyOf(appIds);
    actorTypes = actorTypes == null ? Set.of() : Set.copyOf(actorTypes);
  }

  /** A filter from option values (null or blank entries ignored). */
  public static KeyFilter of(List<String> appIds, List<String> actorTypes) {
    return new KeyFilter(clean(appIds), clean(actorTypes));
  }

  private static Set<String> clean(List<String> values) {
    return values == null
        ? Set.of()
        : Set.copyOf(values.stream().map(String::strip).filter(v -> !v.isEmpty()).toList());
  }

  /** Whether this filter keeps every key. */
  public boolean all() {
    return appIds.isEmpty() && actorTypes.isEmpty();
  }

  /** Whether {@code key} is covered. */
  public boolean matches(DaprKey key) {
    if (!appIds.isEmpty() && (key.appId() == null || !appIds.contains(key.appId()))) {
      return false;
    }
    return actorTypes.isEmpty()
        || (key.actorType() != null && actorTypes.contains(key.actorType()));
  }

  /** Whether {@code key} (as stored) is covered. */
  public boolean matches(String key) {
    return all() || matches(DaprKey.classify(key));
  }
}
