package io.aido.backup.kubernetes.manifests;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.kubernetes.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies one object at a time to a cluster with server-side apply under our field manager, or, in
 * a dry run, only reads the cluster and says what applying would change. Never deletes.
 *
 * <p>An object whose every field we would set already has that value is left alone (unchanged).
 * Otherwise it is applied: created when it did not exist, updated when it did. A server that
 * refuses to create by apply (it answers 404 for an object that does not exist yet, as fabric8's
 * mock server does) gets a plain create instead.
 */
public final class Applier {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What happened to one object. */
  enum Outcome {
    CREATED,
    UPDATED,
    UNCHANGED,
    FAILED
  }

  /** One object's outcome, with the changed fields (dry run, update) or the failure's reason. */
  record Applied(Outcome outcome, List<String> changes, String reason) {}

  private final KubernetesClient client;
  private final boolean dryRun;
  private final boolean forceConflicts;
  private final boolean serverDryRun;
  private final List<String> appliedCrds = new ArrayList<>();
  private final Set<String> notEstablished = new TreeSet<>();

  public Applier(KubernetesClient client, boolean dryRun, boolean forceConflicts) {
    this(client, dryRun, forceConflicts, false);
  }

  private Applier(
      KubernetesClient client, boolean dryRun, boolean forceConflicts, boolean serverDryRun) {
    this.client = client;
    this.dryRun = dryRun;
    this.forceConflicts = forceConflicts;
    this.serverDryRun = serverDryRun;
  }

  /**
   * An applier whose writes are server-side dry runs ({@code dryRun=All}): the API server
   * validates, defaults and admits each object as for a real apply, and stores nothing. Outcomes
   * say what a real apply would do.
   */
  public static Applier serverSideDryRun(KubernetesClient client) {
    return new Applier(client, false, false, true);
  }

  Applied apply(ResourceType type, GenericKubernetesResource object) {
    String crd = group(object) + "/" + object.getKind();
    if (notEstablished.contains(crd)) {
      return new Applied(
          Outcome.FAILED,
          List.of(),
          "its CustomResourceDefinition is not established; nothing applied");
    }
    boolean secret = type.group().isEmpty() && type.kind().equals("Secret");
    var resources = client.genericKubernetesResources(type.context());
    NonNamespaceOperation<
            GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>>
        scoped =
            type.namespaced()
                ? resources.inNamespace(object.getMetadata().getNamespace())
                : resources;
    try {
      GenericKubernetesResource live = scoped.withName(object.getMetadata().getName()).get();
      List<String> changes = live == null ? List.of() : changes(object, live);
      if (live != null && changes.isEmpty()) {
        return new Applied(Outcome.UNCHANGED, List.of(), null);
      }
      if (!dryRun) {
        var resource =
            serverDryRun
                ? scoped.resource(object).dryRun().fieldManager(ApiErrors.FIELD_MANAGER)
                : scoped.resource(object).fieldManager(ApiErrors.FIELD_MANAGER);
        try {
          (forceConflicts ? resource.forceConflicts() : resource).serverSideApply();
        } catch (KubernetesClientException e) {
          if (live != null || e.getCode() != 404) {
            throw e;
          }
          if (serverDryRun) {
            scoped.resource(object).dryRun().create();
          } else {
            scoped.resource(object).create();
          }
        }
        if (!serverDryRun
            && type.group().equals("apiextensions.k8s.io")
            && type.kind().equals("CustomResourceDefinition")) {
          appliedCrds.add(object.getMetadata().getName());
        }
      }
      return new Applied(live == null ? Outcome.CREATED : Outcome.UPDATED, changes, null);
    } catch (KubernetesClientException e) {
      return new Applied(Outcome.FAILED, List.of(), ApiErrors.reason(e, secret));
    }
  }

  /**
   * Waits until every CRD applied so far is established, up to {@code timeout}; the custom
   * resources of those that are not then fail with that reason. Returns their names.
   */
  List<String> awaitCrds(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> pending = new ArrayList<>(appliedCrds);
    appliedCrds.clear();
    while (!pending.isEmpty()) {
      pending.removeIf(this::established);
      if (pending.isEmpty() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(100);
    }
    for (String name : pending) {
      try {
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().withName(name).get();
        if (crd != null && crd.getSpec() != null) {
          notEstablished.add(crd.getSpec().getGroup() + "/" + crd.getSpec().getNames().getKind());
        }
      } catch (KubernetesClientException e) {
        // cannot tell which kinds it serves: its resources will fail on their own
      }
    }
    return pending;
  }

  private boolean established(String name) {
    try {
      CustomResourceDefinition crd =
          client.apiextensions().v1().customResourceDefinitions().withName(name).get();
      if (crd == null || crd.getStatus() == null || crd.getStatus().getConditions() == null) {
        return false;
      }
      for (CustomResourceDefinitionCondition c : crd.getStatus().getConditions()) {
        if ("Established".equals(c.getType()) && "True".equals(c.getStatus())) {
          return true;
        }
      }
      return false;
    } catch (KubernetesClientException e) {
      return false;
    }
  }

  /**
   * The fields of {@code desired} whose value differs in {@code live} (paths like {@code
   * spec.replicas}); fields that only {@code live} has do not count, since apply leaves them.
   */
  static List<String> changes(GenericKubernetesResource desired, GenericKubernetesResource live) {
    Map<?, ?> want = JSON.convertValue(desired, Map.class);
    Map<?, ?> have = JSON.convertValue(live, Map.class);
    List<String> out = new ArrayList<>();
    diff("", want, have, out);
    return out;
  }

  private static void diff(String path, Object want, Object have, List<String> out) {
    if (want instanceof Map<?, ?> w) {
      if (!(have instanceof Map<?, ?> h)) {
        out.add(path.isEmpty() ? "(object)" : path);
        return;
      }
      for (Map.Entry<?, ?> e : w.entrySet()) {
        String child = path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey();
        diff(child, e.getValue(), h.get(e.getKey()), out);
      }
    } else if (!sameValue(want, have)) {
      out.add(path);
    }
  }

  private static boolean sameValue(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.toString().equals(y.toString());
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        List<String> inner = new ArrayList<>();
        diff("", x.get(i), y.get(i), inner);
        if (!inner.isEmpty()) {
          return false;
        }
      }
      return true;
    }
    return Objects.equals(a, b);
  }

  private static String group(GenericKubernetesResource o) {
    return SkipRules.group(o.getApiVersion());
  }
}
