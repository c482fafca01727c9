package io.aido.backup.kubernetes;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIGroupList;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/**
 * Which resource types an API server serves, built-in and custom, each at its group's preferred
 * version, from the discovery endpoints ({@code /api/v1}, {@code /apis} and {@code
 * /apis/<group>/<version>}).
 *
 * <p>Guarantees: one entry per (group, kind), at the version the server prefers for the group;
 * subresources ({@code deployments/scale}) are left out; the order is the server's (core group
 * first, then groups as listed).
 *
 * <pre>{@code
 * for (ResourceType t : ApiDiscovery.preferredTypes(client)) {
 *   if (t.allows("list", "get", "create")) { ... }
 * }
 * }</pre>
 *
 * <p>Throws {@link io.fabric8.kubernetes.client.KubernetesClientException} when the server cannot
 * be reached or refuses discovery; a group whose version cannot be listed (an aggregated API that
 * is down) is skipped and named in {@link Result#unavailable()}.
 */
public final class ApiDiscovery {

  /**
   * What discovery found.
   *
   * @param types the served types, at preferred versions
   * @param unavailable group versions the server lists but could not describe
   */
  public record Result(List<ResourceType> types, List<String> unavailable) {
    public Result {
      types = List.copyOf(types);
      unavailable = List.copyOf(unavailable);
    }
  }

  private ApiDiscovery() {}

  /** The served types at preferred versions; see the class. */
  public static Result discover(KubernetesClient client) {
    List<ResourceType> types = new ArrayList<>();
    List<String> unavailable = new ArrayList<>();
    add(types, "", "v1", client.getApiResources("v1"));
    APIGroupList groups = client.getApiGroups();
    if (groups != null && groups.getGroups() != null) {
      for (APIGroup group : groups.getGroups()) {
        String groupVersion = preferred(group);
        if (groupVersion == null) {
          continue;
        }
        APIResourceList resources;
        try {
          resources = client.getApiResources(groupVersion);
        } catch (RuntimeException e) {
          unavailable.add(groupVersion);
          continue;
        }
        if (resources == null) {
          unavailable.add(groupVersion);
          continue;
        }
        add(types, group.getName(), version(groupVersion), resources);
      }
    }
    return new Result(types, unavailable);
  }

  /** Shorthand for {@code discover(client).types()}. */
  public static List<ResourceType> preferredTypes(KubernetesClient client) {
    return discover(client).types();
  }

  private static String preferred(APIGroup group) {
    if (group.getPreferredVersion() != null
        && group.getPreferredVersion().getGroupVersion() != null) {
      return group.getPreferredVersion().getGroupVersion();
    }
    if (group.getVersions() != null && !group.getVersions().isEmpty()) {
      return group.getVersions().get(0).getGroupVersion();
    }
    return null;
  }

  private static String version(String groupVersion) {
    int slash = groupVersion.indexOf('/');
    return slash < 0 ? groupVersion : groupVersion.substring(slash + 1);
  }

  private static void add(
      List<ResourceType> types, String group, String version, APIResourceList list) {
    if (list == null || list.getResources() == null) {
      return;
    }
    for (APIResource r : list.getResources()) {
      if (r.getName() == null || r.getName().contains("/") || r.getKind() == null) {
        continue;
      }
      boolean seen =
          types.stream().anyMatch(t -> t.group().equals(group) && t.kind().equals(r.getKind()));
      if (!seen) {
        types.add(
            new ResourceType(
                group,
                version,
                r.getKind(),
                r.getName(),
                Boolean.TRUE.equals(r.getNamespaced()),
                r.getVerbs()));
      }
    }
  }
}
