package io.aido.backup.kubernetes.manifests;

import io.aido.backup.kubernetes.ObjectYaml;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Whether a {@code manifests} archive holds every Helm release revision its record lists, each one
 * decoding: the release Secrets (type {@code helm.sh/release.v1}) are decoded again from the
 * archive, as {@code helm rollback} would need them, and compared with the record's {@code
 * helmReleases}.
 *
 * <p>Problems name the release and revision, never the content.
 *
 * @param decoded the revisions decoded, per {@code namespace/release}
 * @param problems one line per revision missing from the archive or not decoding
 */
public record HelmHistory(Map<String, List<Integer>> decoded, List<String> problems) {

  public HelmHistory {
    decoded = Map.copyOf(decoded);
    problems = List.copyOf(problems);
  }

  /** How many revisions decoded. */
  public int revisions() {
    return decoded.values().stream().mapToInt(List::size).sum();
  }

  /**
   * Reads {@code archive} (the plaintext tar) and checks it against {@code recorded}.
   *
   * @param recorded the record's {@code helmReleases}: revisions per {@code namespace/release}
   * @throws IOException if the archive cannot be read
   */
  public static HelmHistory check(InputStream archive, Map<String, List<Integer>> recorded)
      throws IOException {
    Map<String, TreeSet<Integer>> found = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    try (ManifestArchive.Reader reader = new ManifestArchive.Reader(archive)) {
      String path;
      while ((path = reader.next()) != null) {
        if (!path.startsWith("namespaces/") || !path.contains("/core/Secret/")) {
          continue;
        }
        GenericKubernetesResource secret = ObjectYaml.read(reader.content());
        if (!SkipRules.isHelmRelease(secret)) {
          continue;
        }
        String where = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
        Object data = secret.getAdditionalProperties().get("data");
        Object field = data instanceof Map<?, ?> m ? m.get("release") : null;
        if (!(field instanceof String text)) {
          problems.add("Helm release Secret " + where + ": no release field");
          continue;
        }
        try {
          HelmRelease release = HelmRelease.decode(text);
          found
              .computeIfAbsent(
                  secret.getMetadata().getNamespace() + "/" + release.name(), k -> new TreeSet<>())
              .add(release.revision());
        } catch (IOException e) {
          problems.add("Helm release Secret " + where + ": " + e.getMessage());
        }
      }
      reader.drain();
    }
    recorded.forEach(
        (release, revisions) -> {
          for (Integer r : revisions) {
            if (!found.getOrDefault(release, new TreeSet<>()).contains(r)) {
              problems.add(
                  "Helm release " + release + " revision " + r + ": not in the archive or broken");
            }
          }
        });
    Map<String, List<Integer>> decoded = new TreeMap<>();
    found.forEach((k, v) -> decoded.put(k, List.copyOf(v)));
    return new HelmHistory(decoded, problems);
  }
}
