package io.aido.backup.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The checked-out project as users see it: its root, its version, and its kustomizations rendered
 * by the real {@code kubectl kustomize} and parsed with fabric8's typed model.
 */
final class Project {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Project() {}

  /** The repository root (surefire passes it; the module's parent when run from an IDE). */
  static Path root() {
    String root = System.getProperty("project.root");
    Path p = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    return p.toAbsolutePath().normalize();
  }

  /** The Maven project version, which is also the images' tag. */
  static String version() {
    String v = System.getProperty("project.version");
    if (v == null) {
      throw new IllegalStateException(
          "system property project.version is not set (run with Maven)");
    }
    return v;
  }

  static Path k8s() {
    return root().resolve("k8s");
  }

  /** Every directory under k8s/ holding a kustomization (not a component), relative to k8s/. */
  static List<String> kustomizations() throws IOException {
    List<String> dirs = new ArrayList<>();
    try (Stream<Path> files = Files.walk(k8s())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().equals("kustomization.yaml")
            && !Files.readString(f).contains("kind: Component")) {
          dirs.add(k8s().relativize(f.getParent()).toString());
        }
      }
    }
    dirs.sort(null);
    return dirs;
  }

  /**
   * Renders {@code k8s/<dir>} with {@code kubectl kustomize}.
   *
   * @throws AssertionError if kubectl is missing or refuses the kustomization
   */
  static String render(String dir) throws IOException, InterruptedException {
    Process p;
    try {
      p =
          new ProcessBuilder("kubectl", "kustomize", k8s().resolve(dir).toString())
              .redirectErrorStream(false)
              .start();
    } catch (IOException e) {
      throw new AssertionError(
          "kubectl is not on the PATH: these checks render k8s/ with `kubectl kustomize`;"
              + " install kubectl (it includes kustomize) and run again",
          e);
    }
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl kustomize k8s/" + dir + " did not finish in 60 s");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(
          "kubectl kustomize k8s/"
              + dir
              + " failed: "
              + new String(err, StandardCharsets.UTF_8).strip());
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** Every object of a rendering, typed where fabric8 knows the kind. */
  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (!doc.isBlank()) {
        objects.add(SERIALIZATION.unmarshal(doc, HasMetadata.class));
      }
    }
    return objects;
  }

  /** Renders and parses {@code k8s/<dir>}. */
  static List<HasMetadata> objects(String dir) throws IOException, InterruptedException {
    return parse(render(dir));
  }
}
