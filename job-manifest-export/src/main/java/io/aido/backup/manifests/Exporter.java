package io.aido.backup.manifests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.kubernetes.ApiDiscovery;
import io.aido.backup.kubernetes.ObjectCleaner;
import io.aido.backup.kubernetes.ObjectYaml;
import io.aido.backup.kubernetes.ResourceType;
import io.aido.backup.kubernetes.manifests.ApiErrors;
import io.aido.backup.kubernetes.manifests.ApplyOrder;
import io.aido.backup.kubernetes.manifests.HelmRelease;
import io.aido.backup.kubernetes.manifests.ManifestArchive;
import io.aido.backup.kubernetes.manifests.ManifestFacts;
import io.aido.backup.kubernetes.manifests.SkipRules;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists what a {@link Selection} names and streams it, cleaned, into a {@link
 * ManifestArchive.Writer}: page by page ({@code limit}/{@code continue}), so that at most one page
 * of objects is held at a time whatever the cluster's size.
 *
 * <p>Two steps: {@link #plan} (discovery and the namespaces, before anything is written: a
 * namespace that does not exist is bad input) and {@link #write}.
 */
final class Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(Exporter.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Comparator<GenericKubernetesResource> BY_NAMESPACE_AND_NAME =
      Comparator.comparing(
              (GenericKubernetesResource o) ->
                  o.getMetadata().getNamespace() == null ? "" : o.getMetadata().getNamespace())
          .thenComparing(o -> o.getMetadata().getName());

  private final KubernetesClient client;
  private final Selection selection;
  private final int pageSize;

  private List<ResourceType> types;
  private Map<String, String> leftOut;
  private List<String> unavailable;
  private List<String> namespaces;
  private final Map<String, Long> counts = new TreeMap<>();
  private final Map<String, Long> skipped = new TreeMap<>();
  private final Map<String, List<Integer>> helm = new TreeMap<>();
  private long objects;

  /**
   * What was exported.
   *
   * @param counts objects per kind ({@code Deployment.apps}, {@code ConfigMap})
   * @param skipped objects left out per reason
   * @param namespaces the namespaces exported
   * @param helm the Helm release revisions decoded, per {@code namespace/release}
   * @param objects the total number of objects
   * @param unavailable API group versions the server listed but could not serve
   */
  record Result(
      Map<String, Long> counts,
      Map<String, Long> skipped,
      List<String> namespaces,
      Map<String, List<Integer>> helm,
      long objects,
      List<String> unavailable) {

    /** The facts of this result, its archive in {@link ManifestArchive#PART}. */
    ManifestFacts facts() {
      return new ManifestFacts(
          ManifestArchive.PART, objects, counts, skipped, namespaces, helm, unavailable);
    }
  }

  Exporter(KubernetesClient client, Selection selection, int pageSize) {
    this.client = client;
    this.selection = selection;
    this.pageSize = pageSize;
  }

  /**
   * Discovers the types and resolves the namespaces.
   *
   * @throws JobException exit 2 if a named namespace does not exist, exit 1 if the API server
   *     cannot be reached
   */
  void plan() throws JobException {
    ApiDiscovery.Result discovered;
    try {
      discovered = ApiDiscovery.discover(client);
    } catch (KubernetesClientException e) {
      if (ApiErrors.credentialsRefused(e)) {
        throw JobException.badInput(
            "the API server at "
                + client.getMasterUrl()
                + " refused "
                + ApiErrors.CREDENTIALS
                + ": "
                + ApiErrors.reason(e, false)
                + "; nothing was written");
      }
      throw JobException.failed(
          "unable to discover the API server's resource types at "
              + client.getMasterUrl()
              + ": "
              + ApiErrors.reason(e, false)
              + "; nothing was written",
          e);
    }
    unavailable = discovered.unavailable();
    types = new ArrayList<>();
    leftOut = new TreeMap<>();
    for (ResourceType t : discovered.types()) {
      Optional<String> why = selection.typeLeftOut(t);
      if (why.isPresent()) {
        leftOut.put(t.qualifiedKind(), why.get());
      } else {
        types.add(t);
      }
    }
    types.sort(
        Comparator.comparingInt(
                (ResourceType t) -> ApplyOrder.rank(t.group(), t.kind(), t.namespaced()))
            .thenComparing(ResourceType::group)
            .thenComparing(ResourceType::kind));
    namespaces = resolveNamespaces();
  }

  private List<String> resolveNamespaces() throws JobException {
    try {
      if (!selection.namespaces().isEmpty()) {
        List<String> missing = new ArrayList<>();
        for (String ns : selection.namespaces()) {
          if (client.namespaces().withName(ns).get() == null) {
            missing.add(ns);
          }
        }
        if (!missing.isEmpty()) {
          throw JobException.badInput(
              "namespace(s) "
                  + String.join(", ", missing)
                  + " do not exist in the cluster; nothing was written");
        }
        return List.copyOf(new TreeSet<>(selection.namespaces()));
      }
      TreeSet<String> all = new TreeSet<>();
      for (Namespace ns : client.namespaces().list().getItems()) {
        String name = ns.getMetadata().getName();
        if (!Selection.isSystemNamespace(name)) {
          all.add(name);
        }
      }
      return List.copyOf(all);
    } catch (KubernetesClientException e) {
      throw JobException.failed("unable to list the namespaces: " + ApiErrors.reason(e, false), e);
    }
  }

  List<String> namespaces() {
    return namespaces;
  }

  List<ResourceType> types() {
    return types;
  }

  /** Writes {@code types.json}, every object, the Helm trees and {@code index.json}. */
  Result write(ManifestArchive.Writer archive, String backupId, Instant startedAt, String cluster)
      throws IOException, JobException {
    List<Map<String, Object>> typeList = new ArrayList<>();
    for (ResourceType t : types) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("group", t.group());
      m.put("version", t.version());
      m.put("kind", t.kind());
      m.put("plural", t.plural());
      m.put("namespaced", t.namespaced());
      typeList.add(m);
    }
    archive.add(ManifestArchive.TYPES, JSON.writeValueAsBytes(typeList));

    Set<String> selected = Set.copyOf(namespaces);
    for (ResourceType type : types) {
      if (type.group().isEmpty() && type.kind().equals("Namespace")) {
        for (String ns : namespaces) {
          GenericKubernetesResource object =
              client.genericKubernetesResources(type.context()).withName(ns).get();
          if (object != null) {
            add(archive, type, object);
          }
        }
      } else if (!type.namespaced()) {
        list(archive, type, null, selection.clusterSelector(), o -> true);
      } else if (type.group().isEmpty() && type.kind().equals("Secret")) {
        exportSecrets(archive, type, selected);
      } else {
        listNamespaced(archive, type, selected, selection.selector(), o -> true);
      }
    }

    Map<String, Object> index = new LinkedHashMap<>();
    index.put("format", 1);
    index.put("backupId", backupId);
    index.put("startedAt", startedAt.toString());
    index.put("cluster", cluster);
    index.put("secrets", selection.secrets().id());
    index.put("namespaces", namespaces);
    index.put("objects", objects);
    index.put("counts", counts);
    index.put("skipped", skipped);
    index.put("helmReleases", helm);
    index.put("typesLeftOut", leftOut);
    index.put("unavailableApiGroups", unavailable);
    archive.add(ManifestArchive.INDEX, JSON.writeValueAsBytes(index));
    return new Result(counts, skipped, namespaces, helm, objects, unavailable);
  }

  private void exportSecrets(
      ManifestArchive.Writer archive, ResourceType type, Set<String> selected)
      throws IOException, JobException {
    if (selection.secrets() == SecretsMode.EXCLUDE) {
      return;
    }
    if (selection.secrets() == SecretsMode.INCLUDE) {
      listNamespaced(archive, type, selected, selection.selector(), o -> true);
    }
    // The controller's keys live in its own namespace (kube-system, usually not selected): without
    // them no SealedSecret opens in a new cluster.
    boolean include = selection.secrets() == SecretsMode.INCLUDE;
    list(
        archive,
        type,
        null,
        SkipRules.SEALED_SECRETS_KEY_LABEL,
        o -> !(include && selected.contains(o.getMetadata().getNamespace())));
  }

  private void listNamespaced(
      ManifestArchive.Writer archive,
      ResourceType type,
      Set<String> selected,
      String selector,
      Predicate<GenericKubernetesResource> filter)
      throws IOException, JobException {
    if (!selection.namespaces().isEmpty()) {
      for (String ns : namespaces) {
        list(archive, type, ns, selector, filter);
      }
    } else {
      list(
          archive,
          type,
          null,
          selector,
          o -> selected.contains(o.getMetadata().getNamespace()) && filter.test(o));
    }
  }

  /** Lists one type (in one namespace, or everywhere) page by page, writing each object. */
  private void list(
      ManifestArchive.Writer archive,
      ResourceType type,
      String namespace,
      String selector,
      Predicate<GenericKubernetesResource> filter)
      throws IOException, JobException {
    String token = null;
    long before = objects;
    do {
      ListOptions options =
          new ListOptionsBuilder()
              .withLimit((long) pageSize)
              .withContinue(token)
              .withLabelSelector(selector == null || selector.isBlank() ? null : selector)
              .build();
      GenericKubernetesResourceList page;
      try {
        var resources = client.genericKubernetesResources(type.context());
        page =
            type.namespaced() && namespace != null
                ? resources.inNamespace(namespace).list(options)
                : type.namespaced()
                    ? resources.inAnyNamespace().list(options)
                    : resources.list(options);
      } catch (KubernetesClientException e) {
        String where = namespace == null ? "" : " in namespace '" + namespace + "'";
        if (e.getCode() == 404) {
          LOG.warn("{}{} is no longer served; left out", type.qualifiedKind(), where);
          unavailable.add(type.apiVersion() + " " + type.kind());
          return;
        }
        throw JobException.failed(
            "unable to list "
                + type.plural()
                + (type.group().isEmpty() ? "" : "." + type.group())
                + where
                + ": "
                + ApiErrors.reason(e, false)
                + "; no record was written, earlier backups are untouched",
            e);
      }
      List<GenericKubernetesResource> items = new ArrayList<>(page.getItems());
      items.sort(BY_NAMESPACE_AND_NAME);
      for (GenericKubernetesResource object : items) {
        if (filter.test(object)) {
          add(archive, type, object);
        }
      }
      token = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (token != null && !token.isEmpty());
    if (objects > before) {
      LOG.debug(
          "{}{}: {} object(s)",
          type.qualifiedKind(),
          namespace == null ? "" : " in " + namespace,
          objects - before);
    }
  }

  private void add(ManifestArchive.Writer archive, ResourceType type, GenericKubernetesResource o)
      throws IOException {
    Optional<String> skip = SkipRules.skipped(o);
    if (skip.isEmpty() && selection.excludedByLabel(o.getMetadata().getLabels())) {
      skip = Optional.of("excluded by --exclude-label");
    }
    if (skip.isPresent()) {
      skipped.merge(skip.get(), 1L, Long::sum);
      return;
    }
    if (o.getApiVersion() == null) {
      o.setApiVersion(type.apiVersion());
    }
    if (o.getKind() == null) {
      o.setKind(type.kind());
    }
    HelmRelease release = null;
    if (type.group().isEmpty() && type.kind().equals("Secret") && SkipRules.isHelmRelease(o)) {
      release = decodeHelm(o);
    }
    ObjectCleaner.clean(o);
    archive.add(ManifestArchive.objectPath(type, o), ObjectYaml.write(o));
    counts.merge(type.qualifiedKind(), 1L, Long::sum);
    objects++;
    if (release != null) {
      String ns = o.getMetadata().getNamespace();
      archive.add(ManifestArchive.helmPath(release, ns, "values.yaml"), release.valuesYaml());
      archive.add(ManifestArchive.helmPath(release, ns, "release.yaml"), release.releaseYaml());
      helm.computeIfAbsent(ns + "/" + release.name(), k -> new ArrayList<>())
          .add(release.revision());
    }
  }

  private HelmRelease decodeHelm(GenericKubernetesResource secret) {
    Object data = secret.getAdditionalProperties().get("data");
    Object field = data instanceof Map<?, ?> m ? m.get("release") : null;
    String name = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    if (!(field instanceof String text)) {
      LOG.warn("Helm release Secret {} has no release field; exported as is", name);
      return null;
    }
    try {
      return HelmRelease.decode(text);
    } catch (IOException e) {
      LOG.warn("Helm release Secret {}: {}; exported as is", name, e.getMessage());
      skipped.merge("Helm release not decoded", 1L, Long::sum);
      return null;
    }
  }
}
