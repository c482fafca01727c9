package io.aido.backup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.aido.backup.core.catalog.BackupKind;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Renders every kustomization under {@code k8s/} with the real {@code kubectl kustomize}, parses
 * every object with fabric8's typed model and checks the rules of issue 9 on each CronJob, Job
 * template, ServiceAccount and NetworkPolicy. The expectations (schedules, RBAC rules, network
 * reach) are lists kept here, so that widening any of them is a visible change to this file.
 */
class KustomizationsTest {
  private static final String LABEL_EGRESS = "backup.aido.io/egress-";
  private static final Pattern IMAGE =
      Pattern.compile("ghcr\\.io/aido-todo/(job-[a-z-]+)(?::(.+))?");

  /** Every kustomization that exists, and so gets checked. */
  static final List<String> KUSTOMIZATIONS =
      List.of(
          "app-namespace",
          "base",
          "dapr-system",
          "drill-namespace",
          "monitoring",
          "overlays/gke",
          "overlays/gke-wal-follow",
          "overlays/local",
          "restore/base",
          "restore/overlays/gke",
          "restore/overlays/local",
          "restore/pitr");

  /** A scheduled action: its CronJob, its schedule and the period the issue asks for. */
  record Scheduled(String schedule, Duration period) {}

  static final Map<String, Scheduled> CRONJOBS =
      Map.of(
          "db-backup", new Scheduled("0 2 * * *", Duration.ofDays(1)),
          "db-base-backup", new Scheduled("0 1 * * *", Duration.ofDays(1)),
          "wal-archive", new Scheduled("*/5 * * * *", Duration.ofMinutes(5)),
          "dapr-snapshot", new Scheduled("15 * * * *", Duration.ofHours(1)),
          "manifest-export", new Scheduled("0 3 * * *", Duration.ofDays(1)),
          "verify", new Scheduled("30 5 * * *", Duration.ofDays(1)),
          "restore-test", new Scheduled("0 6 1 * *", Duration.ofDays(28)),
          "backup-retention", new Scheduled("30 4 * * *", Duration.ofDays(1)),
          "backup-replicate", new Scheduled("45 * * * *", Duration.ofHours(1)),
          "drill", new Scheduled("0 7 1 1,4,7,10 *", Duration.ofDays(90)));

  /**
   * CronJobs shipped suspended, with why in their comment: the quarterly drill needs scratch places
   * each cluster sets (k8s/base/drill/cronjob.yaml); BackupDrillOverdue watches that it is run.
   */
  static final Set<String> SUSPENDED_CRONJOBS = Set.of("drill");

  static final Set<String> RESTORE_JOBS =
      Set.of("restore-db", "restore-dapr", "restore-manifests", "restore-pitr");

  /** The application's namespace, where the Dapr Components and the Secrets they reference live. */
  static final String APP_NAMESPACE = "todo";

  /**
   * The Secrets job-dapr-snapshot may read, by name, in {@link #APP_NAMESPACE}: the defaults of the
   * overlays' patch, those the TODO chatbot's Dapr Components reference.
   */
  static final List<String> DAPR_SECRETS = List.of("dapr-statestore", "redis");

  /** The Dapr Scheduler's pods (3 in HA mode), which job-dapr-snapshot may port-forward to. */
  static final List<String> SCHEDULER_PODS =
      List.of("dapr-scheduler-server-0", "dapr-scheduler-server-1", "dapr-scheduler-server-2");

  /**
   * The only ServiceAccounts that may touch Secrets in every namespace: they export and restore
   * them.
   */
  static final Set<String> CLUSTER_WIDE_SECRETS =
      Set.of("manifest-export", "manifest-restore", "backup-drill");

  /**
   * Each ServiceAccount's complete rights on the Kubernetes API in an installed rendering (an
   * overlay), as "group/resource: verbs" when cluster-wide and "in NAMESPACE: group/resource
   * [names]: verbs" when granted by a RoleBinding in one namespace (names only where the rule has
   * resourceNames). Only manifest-restore, bound by the restore template alone, may write;
   * dapr-snapshot's one create is a port-forward to the Dapr Scheduler's pods (its etcd listens on
   * 127.0.0.1 in the pod), which creates no object.
   */
  static final Map<String, List<String>> RBAC =
      Map.of(
          "db-backup", List.of(),
          "backup-verify", List.of(),
          "backup-retention", List.of(),
          "backup-replicate", List.of(),
          "backup-restore-pitr", List.of(),
          "restore-test-postgresql", List.of(),
          // the drill applies a manifests backup into its scratch namespace and deletes it again
          "backup-drill", List.of("in aido-drill: */*: create,delete,get,list,patch"),
          "dapr-snapshot",
              List.of(
                  "in dapr-system: /pods " + SCHEDULER_PODS + ": get",
                  "in dapr-system: /pods/portforward " + SCHEDULER_PODS + ": create",
                  "in dapr-system: apps/statefulsets [dapr-scheduler-server]: get",
                  "in " + APP_NAMESPACE + ": /secrets " + DAPR_SECRETS + ": get",
                  "in " + APP_NAMESPACE + ": dapr.io/components: get,list",
                  "in " + APP_NAMESPACE + ": dapr.io/configurations: get,list",
                  "in " + APP_NAMESPACE + ": dapr.io/httpendpoints: get,list",
                  "in " + APP_NAMESPACE + ": dapr.io/resiliencies: get,list",
                  "in " + APP_NAMESPACE + ": dapr.io/subscriptions: get,list"),
          "manifest-export", List.of("*/*: get,list"),
          "manifest-restore",
              List.of(
                  "*/*: create,get,list,patch",
                  "rbac.authorization.k8s.io/clusterroles: bind,escalate",
                  "rbac.authorization.k8s.io/roles: bind,escalate"));

  /**
   * The only accounts bound by a ClusterRoleBinding: the manifest export and restore read and write
   * every namespace and the cluster-scoped kinds. Every other account works in namespaces it knows,
   * where a Role suffices.
   */
  static final Set<String> CLUSTER_WIDE_ACCOUNTS = Set.of("manifest-export", "manifest-restore");

  /** The renderings a user applies to install the jobs. */
  static final List<String> INSTALLED =
      List.of("overlays/gke", "overlays/gke-wal-follow", "overlays/local");

  /** The gke overlay's parameters: the control plane's range and the kube-dns Service address. */
  static final String CONTROL_PLANE_CIDR = "CONTROL_PLANE_CIDR";

  static final String KUBE_DNS_IP = "KUBE_DNS_IP";

  /** What each workload may reach (NetworkPolicy labels on its pods). */
  static final Map<String, Set<String>> EGRESS =
      Map.ofEntries(
          Map.entry("db-backup", Set.of("postgres", "pushgateway", "storage")),
          Map.entry("db-base-backup", Set.of("postgres", "pushgateway", "storage")),
          Map.entry("wal-archive", Set.of("postgres", "pushgateway", "storage")),
          Map.entry("dapr-snapshot", Set.of("apiserver", "dapr-stores", "pushgateway", "storage")),
          Map.entry("manifest-export", Set.of("apiserver", "pushgateway", "storage")),
          Map.entry("verify", Set.of("pushgateway", "storage")),
          Map.entry("restore-test", Set.of("pushgateway", "scratch-postgres", "storage")),
          Map.entry("drill", Set.of("apiserver", "pushgateway", "scratch-postgres", "storage")),
          Map.entry("backup-retention", Set.of("pushgateway", "storage")),
          Map.entry("backup-replicate", Set.of("pushgateway", "storage")),
          Map.entry("restore-db", Set.of("postgres", "pushgateway", "storage")),
          Map.entry("restore-dapr", Set.of("apiserver", "dapr-stores", "pushgateway", "storage")),
          Map.entry("restore-manifests", Set.of("apiserver", "pushgateway", "storage")),
          Map.entry("restore-pitr", Set.of("storage")));

  /**
   * Pods that must not run as 65532: the point-in-time restore writes the database's data
   * directory, so it runs as the database image's user.
   */
  static final Map<String, Long> RUN_AS_USER = Map.of("restore-pitr", 1001L);

  /**
   * The renderings that are never applied alone, only through an overlay: their images carry no
   * tag, since every overlay takes registry and tag from {@link #RELEASE}.
   */
  static final Set<String> TAGLESS = Set.of("base", "restore/base");

  /** The one kustomization that names the images' registry and tag. */
  static final String RELEASE = "components/release";

  private static final Map<String, List<HasMetadata>> RENDERED = new LinkedHashMap<>();

  /** A pod template and where it came from. */
  record Workload(String rendering, String name, String kind, PodTemplateSpec template) {
    String where() {
      return "k8s/" + rendering + " " + kind + " " + name;
    }
  }

  @BeforeAll
  static void renderAll() throws Exception {
    for (String dir : KUSTOMIZATIONS) {
      RENDERED.put(dir, Project.objects(dir));
    }
  }

  @Test
  void kustomizations_areTheCheckedOnes() throws Exception {
    assertThat(Project.kustomizations())
        .as("every kustomization under k8s/ is rendered and checked here")
        .containsExactlyInAnyOrderElementsOf(KUSTOMIZATIONS);
  }

  @Test
  void noRendering_holdsASecretValue() {
    List<String> secrets = new ArrayList<>();
    RENDERED.forEach(
        (dir, objects) ->
            objects.stream()
                .filter(o -> o.getKind().equals("Secret"))
                .forEach(o -> secrets.add(dir + ": " + o.getMetadata().getName())));
    assertThat(secrets).as("Secrets are referenced, never shipped").isEmpty();
  }

  @Test
  void namespace_enforcesRestrictedPodSecurity() {
    Namespace ns = only(RENDERED.get("base"), Namespace.class, "aido-backup");
    assertThat(ns.getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
  }

  @Test
  void cronJobs_areTheScheduledActionsWithTheirSafetySettings() {
    for (String dir :
        List.of("base", "overlays/gke", "overlays/gke-wal-follow", "overlays/local")) {
      Map<String, CronJob> cronJobs = new TreeMap<>();
      for (CronJob c : all(RENDERED.get(dir), CronJob.class)) {
        cronJobs.put(c.getMetadata().getName(), c);
      }
      Set<String> names = new TreeSet<>(CRONJOBS.keySet());
      if (dir.equals("overlays/gke-wal-follow")) {
        // WAL archiving runs as a Deployment there
        names.remove("wal-archive");
      }
      assertThat(cronJobs.keySet()).as(dir).containsExactlyInAnyOrderElementsOf(names);
      cronJobs.forEach(
          (name, c) -> {
            String where = "k8s/" + dir + " CronJob " + name;
            CronJobSpec spec = c.getSpec();
            Scheduled expected = CRONJOBS.get(name);
            assertThat(spec.getSchedule()).as(where).isEqualTo(expected.schedule());
            Duration[] gaps = Cron.parse(spec.getSchedule()).gaps();
            assertThat(gaps[0])
                .as(where + " shortest gap")
                .isGreaterThanOrEqualTo(expected.period());
            assertThat(gaps[1])
                .as(where + " longest gap")
                .isLessThanOrEqualTo(
                    expected.period().equals(Duration.ofDays(28))
                        ? Duration.ofDays(31)
                        : expected.period().equals(Duration.ofDays(90))
                            ? Duration.ofDays(92)
                            : expected.period());
            assertThat(spec.getTimeZone()).as(where + " timeZone").isNotBlank();
            assertThat(ZoneId.of(spec.getTimeZone())).isNotNull();
            assertThat(spec.getConcurrencyPolicy()).as(where).isEqualTo("Forbid");
            assertThat(spec.getStartingDeadlineSeconds()).as(where).isNotNull().isPositive();
            assertThat(spec.getSuccessfulJobsHistoryLimit()).as(where).isNotNull().isPositive();
            assertThat(spec.getFailedJobsHistoryLimit()).as(where).isNotNull().isPositive();
            if (SUSPENDED_CRONJOBS.contains(name)) {
              assertThat(spec.getSuspend()).as(where + " suspend").isTrue();
            } else {
              assertThat(spec.getSuspend()).as(where + " suspend").isNotEqualTo(Boolean.TRUE);
            }
            JobSpec job = spec.getJobTemplate().getSpec();
            assertThat(job.getBackoffLimit()).as(where + " backoffLimit").isNotNull();
            assertThat(job.getTtlSecondsAfterFinished())
                .as(where + " ttl")
                .isNotNull()
                .isPositive();
            assertThat(job.getActiveDeadlineSeconds()).as(where + " deadline").isNotNull();
            // a run must end before the next is due, or Forbid silently skips runs
            assertThat(Duration.ofSeconds(job.getActiveDeadlineSeconds()))
                .as(where + " activeDeadlineSeconds against the schedule")
                .isLessThan(gaps[0]);
            assertThat(Duration.ofSeconds(spec.getStartingDeadlineSeconds()))
                .as(where + " startingDeadlineSeconds against the schedule")
                .isLessThan(gaps[0]);
          });
    }
  }

  @Test
  void restoreJobs_areSuspendedTemplatesNeverAppliedByTheOverlays() {
    Set<String> found = new TreeSet<>();
    for (String dir :
        List.of("restore/base", "restore/overlays/gke", "restore/overlays/local", "restore/pitr")) {
      for (Job j : all(RENDERED.get(dir), Job.class)) {
        found.add(j.getMetadata().getName());
        assertThat(j.getSpec().getSuspend()).as(dir + " " + j.getMetadata().getName()).isTrue();
        assertThat(j.getSpec().getBackoffLimit()).as(dir + " backoffLimit").isZero();
        assertThat(j.getSpec().getActiveDeadlineSeconds()).isNotNull();
        assertThat(j.getSpec().getTtlSecondsAfterFinished()).isNotNull();
        assertThat(j.getMetadata().getLabels()).containsKey("backup.aido.io/restore");
      }
    }
    assertThat(found).containsExactlyInAnyOrderElementsOf(RESTORE_JOBS);
    for (String dir :
        List.of("base", "overlays/gke", "overlays/gke-wal-follow", "overlays/local")) {
      assertThat(all(RENDERED.get(dir), Job.class)).as(dir + " applies no Job").isEmpty();
    }
  }

  @Test
  void walFollowOverlay_streamsWalFromOneDeploymentInsteadOfTheCronJob() {
    List<Deployment> deployments = all(RENDERED.get("overlays/gke-wal-follow"), Deployment.class);
    assertThat(deployments).hasSize(1);
    Deployment d = deployments.get(0);
    assertThat(d.getMetadata().getName()).isEqualTo("wal-archive");
    assertThat(d.getMetadata().getNamespace()).isEqualTo("aido-backup");
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsExactly("wal-archive", "--follow");
    for (String dir : List.of("base", "overlays/gke", "overlays/local")) {
      assertThat(all(RENDERED.get(dir), Deployment.class)).as(dir).isEmpty();
    }
  }

  @Test
  void podTemplates_followTheRestrictedProfileAndAreSized() {
    List<Workload> workloads = workloads();
    assertThat(workloads).hasSizeGreaterThanOrEqualTo(4 * CRONJOBS.size() + 3 * 3 + 1);
    for (Workload w : workloads) {
      var pod = w.template().getSpec();
      String where = w.where();
      assertThat(pod.getRestartPolicy())
          .as(where)
          .isEqualTo(w.kind().equals("Deployment") ? "Always" : "Never");
      assertThat(pod.getHostNetwork()).as(where).isNotEqualTo(Boolean.TRUE);
      assertThat(pod.getHostPID()).as(where).isNotEqualTo(Boolean.TRUE);
      assertThat(pod.getHostIPC()).as(where).isNotEqualTo(Boolean.TRUE);
      PodSecurityContext psc = pod.getSecurityContext();
      assertThat(psc).as(where + " pod securityContext").isNotNull();
      assertThat(psc.getRunAsNonRoot()).as(where + " runAsNonRoot").isTrue();
      assertThat(psc.getRunAsUser())
          .as(where + " runAsUser")
          .isEqualTo(RUN_AS_USER.getOrDefault(w.name(), 65532L));
      assertThat(psc.getSeccompProfile()).as(where + " seccomp").isNotNull();
      assertThat(psc.getSeccompProfile().getType()).as(where).isEqualTo("RuntimeDefault");
      assertThat(pod.getContainers()).as(where).hasSize(1);
      assertThat(pod.getInitContainers()).as(where).isNullOrEmpty();
      Container c = pod.getContainers().get(0);
      SecurityContext sc = c.getSecurityContext();
      assertThat(sc).as(where + " container securityContext").isNotNull();
      assertThat(sc.getAllowPrivilegeEscalation())
          .as(where + " allowPrivilegeEscalation")
          .isFalse();
      assertThat(sc.getReadOnlyRootFilesystem()).as(where + " readOnlyRootFilesystem").isTrue();
      assertThat(sc.getPrivileged()).as(where + " privileged").isNotEqualTo(Boolean.TRUE);
      assertThat(sc.getCapabilities()).as(where + " capabilities").isNotNull();
      assertThat(sc.getCapabilities().getDrop()).as(where + " drop").containsExactly("ALL");
      assertThat(sc.getCapabilities().getAdd()).as(where + " add").isNullOrEmpty();
      // the read-only root filesystem needs a scratch directory
      Volume tmp =
          pod.getVolumes().stream().filter(v -> v.getName().equals("tmp")).findFirst().orElse(null);
      assertThat(tmp).as(where + " tmp volume").isNotNull();
      assertThat(tmp.getEmptyDir()).as(where + " tmp is an emptyDir").isNotNull();
      assertThat(tmp.getEmptyDir().getSizeLimit()).as(where + " tmp sizeLimit").isNotNull();
      assertThat(c.getVolumeMounts())
          .as(where)
          .anySatisfy(
              m -> {
                assertThat(m.getName()).isEqualTo("tmp");
                assertThat(m.getMountPath()).isEqualTo("/tmp");
              });
      for (VolumeMount m : c.getVolumeMounts()) {
        assertThat(pod.getVolumes())
            .as(where + " mount " + m.getName())
            .anyMatch(v -> v.getName().equals(m.getName()));
      }
      var resources = c.getResources();
      assertThat(resources).as(where + " resources").isNotNull();
      for (String r : List.of("cpu", "memory")) {
        Quantity request = resources.getRequests() == null ? null : resources.getRequests().get(r);
        Quantity limit = resources.getLimits() == null ? null : resources.getLimits().get(r);
        assertThat(request).as(where + " requests." + r).isNotNull();
        assertThat(limit).as(where + " limits." + r).isNotNull();
        assertThat(request.getNumericalAmount())
            .as(where + " " + r + " request <= limit")
            .isLessThanOrEqualTo(limit.getNumericalAmount());
      }
      // the JVM, its heap (75 % of the limit) and pg_dump's buffers: measured peaks are 141-236 MiB
      assertThat(resources.getLimits().get("memory").getNumericalAmount().longValue())
          .as(where + " memory limit")
          .isGreaterThanOrEqualTo(256L * 1024 * 1024);
      Matcher image = IMAGE.matcher(c.getImage());
      assertThat(image.matches())
          .as(where + " image " + c.getImage() + " is this project's")
          .isTrue();
      assertThat(JobCommandLines.JOBS).as(where).containsKey(image.group(1));
      if (TAGLESS.contains(w.rendering())) {
        assertThat(image.group(2))
            .as(where + ": no tag here, the overlays take it from " + RELEASE)
            .isNull();
      } else {
        assertThat(image.group(2)).as(where + " image tag").isEqualTo(Project.version());
      }
    }
  }

  @Test
  void serviceAccounts_haveExactlyTheRightsTheirJobNeeds() {
    Map<String, List<String>> rights = new TreeMap<>();
    RENDERED.forEach(
        (dir, objects) -> {
          for (ServiceAccount sa : all(objects, ServiceAccount.class)) {
            String name = sa.getMetadata().getName();
            List<String> granted = rules(objects, sa);
            if (dir.equals("base")) {
              // base is never applied alone: the overlays add the app namespace's Role beside it
              assertThat(granted)
                  .as("k8s/base ServiceAccount " + name)
                  .isEqualTo(RBAC.get(name).stream().filter(r -> !r.startsWith("in ")).toList());
            } else {
              assertThat(rights.getOrDefault(name, granted))
                  .as("k8s/" + dir + " ServiceAccount " + name + ", as in every other rendering")
                  .isEqualTo(granted);
              rights.put(name, granted);
            }
          }
          // a binding whose subject is in no rendering's ServiceAccounts grants a stranger
          if (!dir.equals("app-namespace")
              && !dir.equals("dapr-system")
              && !dir.equals("drill-namespace")) {
            for (HasMetadata o : objects) {
              for (Subject s : subjects(o)) {
                assertThat(all(objects, ServiceAccount.class))
                    .as("k8s/" + dir + " " + o.getKind() + " " + o.getMetadata().getName())
                    .anyMatch(
                        sa ->
                            s.getKind().equals("ServiceAccount")
                                && sa.getMetadata().getName().equals(s.getName())
                                && sa.getMetadata().getNamespace().equals(s.getNamespace()));
              }
            }
          }
        });
    assertThat(rights).isEqualTo(new TreeMap<>(RBAC));
    // a pod gets a token only when its account has rights to use it, and the network to use it
    for (Workload w : workloads()) {
      String sa = w.template().getSpec().getServiceAccountName();
      assertThat(RBAC).as(w.where() + " serviceAccountName " + sa).containsKey(sa);
      boolean api = !RBAC.get(sa).isEmpty();
      assertThat(Boolean.TRUE.equals(w.template().getSpec().getAutomountServiceAccountToken()))
          .as(w.where() + " automountServiceAccountToken")
          .isEqualTo(api);
      assertThat(egress(w).contains("apiserver"))
          .as(w.where() + " API server egress")
          .isEqualTo(api);
    }
  }

  @Test
  void secrets_clusterWideOnlyForManifestJobs_daprSnapshotByNameInAppNamespace() {
    RENDERED.forEach(
        (dir, objects) -> {
          for (HasMetadata binding : objects) {
            List<PolicyRule> rules = roleRules(objects, binding);
            if (rules == null) {
              continue;
            }
            boolean clusterWide = binding instanceof ClusterRoleBinding;
            for (PolicyRule rule : rules) {
              if (!coversSecrets(rule)) {
                continue;
              }
              for (Subject s : subjects(binding)) {
                String where =
                    "k8s/" + dir + " " + binding.getKind() + " " + binding.getMetadata().getName();
                if (clusterWide
                    || rule.getResourceNames() == null
                    || rule.getResourceNames().isEmpty()) {
                  assertThat(CLUSTER_WIDE_SECRETS)
                      .as(where + " grants every Secret (of a namespace or all) to " + s.getName())
                      .contains(s.getName());
                } else {
                  assertThat(rule.getVerbs())
                      .as(where + " named Secrets: get only")
                      .containsExactly("get");
                }
              }
            }
          }
        });
    for (String dir :
        List.of("app-namespace", "overlays/gke", "overlays/gke-wal-follow", "overlays/local")) {
      List<HasMetadata> objects = RENDERED.get(dir);
      Role role = only(objects, Role.class, "aido-backup-dapr-snapshot-secrets");
      RoleBinding binding = only(objects, RoleBinding.class, "aido-backup-dapr-snapshot-secrets");
      assertThat(role.getMetadata().getNamespace()).as(dir + " Role").isEqualTo(APP_NAMESPACE);
      assertThat(binding.getMetadata().getNamespace())
          .as(dir + " RoleBinding")
          .isEqualTo(APP_NAMESPACE);
      assertThat(role.getRules()).as(dir).hasSize(1);
      PolicyRule rule = role.getRules().get(0);
      assertThat(rule.getApiGroups()).as(dir).containsExactly("");
      assertThat(rule.getResources()).as(dir).containsExactly("secrets");
      assertThat(rule.getVerbs()).as(dir).containsExactly("get");
      // an empty list would grant every Secret of the namespace
      assertThat(rule.getResourceNames()).as(dir + " resourceNames").isEqualTo(DAPR_SECRETS);
      if (!dir.equals("app-namespace")) {
        // the job reads the Components, and so the Secrets, of the namespace it is told
        CronJob cronJob = only(objects, CronJob.class, "dapr-snapshot");
        List<EnvVar> env =
            cronJob
                .getSpec()
                .getJobTemplate()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv();
        assertThat(env)
            .as(dir + " CronJob dapr-snapshot BACKUP_NAMESPACE is the Role's namespace")
            .anyMatch(
                e -> e.getName().equals("BACKUP_NAMESPACE") && APP_NAMESPACE.equals(e.getValue()));
      }
    }
    assertThat(all(RENDERED.get("base"), Role.class))
        .as("base's namespace transformer would move a Role out of the app's namespace")
        .isEmpty();
  }

  @Test
  void networkPolicies_denyByDefaultAndOpenOnlyWhatEachJobNeeds() {
    List<NetworkPolicy> policies = all(RENDERED.get("base"), NetworkPolicy.class);
    NetworkPolicy deny = only(RENDERED.get("base"), NetworkPolicy.class, "default-deny");
    assertThat(deny.getSpec().getPodSelector().getMatchLabels()).isNullOrEmpty();
    assertThat(deny.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
    assertThat(deny.getSpec().getIngress()).isNullOrEmpty();
    assertThat(deny.getSpec().getEgress()).isNullOrEmpty();
    assertThat(only(RENDERED.get("base"), NetworkPolicy.class, "allow-dns").getSpec().getEgress())
        .hasSize(1);
    Set<String> opened = new TreeSet<>();
    for (NetworkPolicy p : policies) {
      Map<String, String> selector = p.getSpec().getPodSelector().getMatchLabels();
      if (selector != null) {
        selector.keySet().stream()
            .filter(k -> k.startsWith(LABEL_EGRESS))
            .forEach(k -> opened.add(k.substring(LABEL_EGRESS.length())));
      }
    }
    for (Workload w : workloads()) {
      assertThat(egress(w)).as(w.where() + " egress labels").isEqualTo(EGRESS.get(w.name()));
      if (!w.rendering().equals("restore/pitr")) {
        Set<String> needed = new TreeSet<>(egress(w));
        needed.remove("storage"); // a PVC needs no network; GKE's overlay opens Google's APIs
        assertThat(opened)
            .as(w.where() + ": a NetworkPolicy for each egress label")
            .containsAll(needed);
      }
    }
    List<NetworkPolicy> gke = all(RENDERED.get("overlays/gke"), NetworkPolicy.class);
    assertThat(gke)
        .anySatisfy(
            p ->
                assertThat(p.getSpec().getPodSelector().getMatchLabels())
                    .containsEntry(LABEL_EGRESS + "storage", "true"));
  }

  @Test
  void gkeOverlay_usesGcsKmsAndWorkloadIdentityWithoutKeyFiles() {
    List<HasMetadata> gke = RENDERED.get("overlays/gke");
    Map<String, String> config = only(gke, ConfigMap.class, "backup-config").getData();
    assertThat(config.get("BACKUP_STORAGE_URL")).startsWith("gs://");
    assertThat(config.get("BACKUP_KEK_URI")).startsWith("gcp-kms://projects/");
    // an account acts as a Google service account exactly when its pods reach the bucket and key
    Set<String> storage = storageServiceAccounts(gke);
    assertThat(storage).contains("db-backup", "backup-verify");
    for (ServiceAccount sa : all(gke, ServiceAccount.class)) {
      String name = sa.getMetadata().getName();
      Map<String, String> annotations = sa.getMetadata().getAnnotations();
      if (storage.contains(name)) {
        assertThat(annotations)
            .as("ServiceAccount " + name)
            .containsKey("iam.gke.io/gcp-service-account");
      } else {
        assertThat(annotations == null ? Map.of() : annotations)
            .as("ServiceAccount " + name + " touches neither bucket nor key")
            .doesNotContainKey("iam.gke.io/gcp-service-account");
      }
    }
    List<Workload> gkeWorkloads = new ArrayList<>(workloads("overlays/gke"));
    gkeWorkloads.addAll(workloads("overlays/gke-wal-follow"));
    for (Workload w : gkeWorkloads) {
      for (Volume v : w.template().getSpec().getVolumes()) {
        assertThat(v.getSecret())
            .as(w.where() + " volume " + v.getName() + " (no key files)")
            .isNull();
        assertThat(v.getPersistentVolumeClaim()).as(w.where() + " volume " + v.getName()).isNull();
      }
    }
    assertThat(all(gke, PersistentVolumeClaim.class)).isEmpty();
    for (ServiceAccount sa : all(RENDERED.get("restore/overlays/gke"), ServiceAccount.class)) {
      assertThat(sa.getMetadata().getAnnotations()).containsKey("iam.gke.io/gcp-service-account");
    }
  }

  @Test
  void localOverlay_mountsTheRepositoryClaimAndTheKeysetSecret() {
    List<HasMetadata> local = RENDERED.get("overlays/local");
    Map<String, String> config = only(local, ConfigMap.class, "backup-config").getData();
    assertThat(config.get("BACKUP_STORAGE_URL")).isEqualTo("file:///var/backups");
    assertThat(config.get("BACKUP_KEK_URI")).isEqualTo("file:///etc/backup-kek/keyset.json");
    only(local, PersistentVolumeClaim.class, "backup-repository");
    List<Workload> workloads = new ArrayList<>(workloads("overlays/local"));
    workloads.addAll(workloads("restore/overlays/local"));
    assertThat(workloads).hasSize(CRONJOBS.size() + 3);
    for (Workload w : workloads) {
      var pod = w.template().getSpec();
      assertThat(pod.getVolumes())
          .as(w.where())
          .anyMatch(
              v ->
                  v.getPersistentVolumeClaim() != null
                      && v.getPersistentVolumeClaim().getClaimName().equals("backup-repository"))
          .anyMatch(
              v -> v.getSecret() != null && v.getSecret().getSecretName().equals("backup-kek"));
      Map<String, String> mounts = new TreeMap<>();
      pod.getContainers()
          .get(0)
          .getVolumeMounts()
          .forEach(m -> mounts.put(m.getName(), m.getMountPath()));
      assertThat(mounts)
          .as(w.where())
          .containsEntry("repository", "/var/backups")
          .containsEntry("kek", "/etc/backup-kek");
    }
  }

  @Test
  void everyContainer_runsAnExistingCommandWithVariablesItReads() {
    Map<String, Map<String, String>> configMaps = new TreeMap<>();
    RENDERED.forEach(
        (dir, objects) ->
            all(objects, ConfigMap.class)
                .forEach(c -> configMaps.put(c.getMetadata().getName(), c.getData())));
    List<String> problems = new ArrayList<>();
    Set<String> pending = new TreeSet<>();
    for (Workload w : workloads()) {
      Container c = w.template().getSpec().getContainers().get(0);
      Matcher image = IMAGE.matcher(c.getImage());
      assertThat(image.matches()).isTrue();
      String job = image.group(1);
      List<String> args = new ArrayList<>();
      if (c.getCommand() != null && !c.getCommand().isEmpty()) {
        problems.add(w.where() + ": overrides the image's entrypoint");
      }
      if (c.getArgs() == null || c.getArgs().isEmpty()) {
        args.add(JobCommandLines.DEFAULT_COMMANDS.get(job));
      } else {
        args.addAll(c.getArgs());
      }
      Set<String> variables = new TreeSet<>();
      if (c.getEnv() != null) {
        for (EnvVar e : c.getEnv()) {
          variables.add(e.getName());
        }
      }
      if (c.getEnvFrom() != null) {
        for (EnvFromSource from : c.getEnvFrom()) {
          assertThat(from.getSecretRef()).as(w.where() + " envFrom a whole Secret").isNull();
          String name = from.getConfigMapRef().getName();
          Map<String, String> data = configMaps.get(name);
          if (data == null) {
            assertThat(from.getConfigMapRef().getOptional())
                .as(w.where() + ": ConfigMap " + name + " is in no rendering and not optional")
                .isTrue();
          } else {
            variables.addAll(data.keySet());
          }
        }
      }
      variables.removeIf(v -> !v.startsWith("BACKUP_"));
      JobCommandLines.Result result = JobCommandLines.check(w.where(), job, args, variables);
      problems.addAll(result.problems());
      pending.addAll(result.pending());
    }
    if (!pending.isEmpty()) {
      System.out.println("[deploy-tests] not checked yet, pending on other branches: " + pending);
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void restoreTestServer_isShippedHardenedAndReachableFromTheRestoreTestOnly() {
    for (String dir : INSTALLED) {
      List<HasMetadata> objects = RENDERED.get(dir);
      String where = "k8s/" + dir;
      Map<String, String> scratch = only(objects, ConfigMap.class, "restore-test").getData();
      // PGHOST is <service>.<namespace>.svc[.cluster.local]
      String[] host = scratch.get("PGHOST").split("\\.");
      assertThat(host).as(where + " PGHOST").hasSizeGreaterThanOrEqualTo(3);
      assertThat(host[2]).as(where + " PGHOST names a Service").isEqualTo("svc");
      int port = Integer.parseInt(scratch.get("PGPORT"));
      Service service = only(objects, Service.class, host[0]);
      assertThat(service.getMetadata().getNamespace()).as(where).isEqualTo(host[1]);
      assertThat(service.getSpec().getPorts())
          .as(where + " Service " + host[0] + " port")
          .anyMatch(p -> p.getPort() == port);
      Map<String, String> selector = service.getSpec().getSelector();
      List<StatefulSet> servers =
          all(objects, StatefulSet.class).stream()
              .filter(s -> matches(selector, s.getSpec().getTemplate().getMetadata().getLabels()))
              .toList();
      assertThat(servers).as(where + ": the server behind " + host[0]).hasSize(1);
      StatefulSet server = servers.get(0);
      assertThat(server.getMetadata().getNamespace()).as(where).isEqualTo("aido-backup");
      assertThat(server.getSpec().getReplicas()).as(where).isEqualTo(1);
      assertThat(server.getSpec().getVolumeClaimTemplates())
          .as(where + ": a scratch server keeps nothing")
          .isNullOrEmpty();
      var pod = server.getSpec().getTemplate().getSpec();
      assertThat(pod.getVolumes())
          .as(where + " scratch server volumes: emptyDirs with a size limit")
          .isNotEmpty()
          .allSatisfy(
              v -> {
                assertThat(v.getEmptyDir()).as(v.getName()).isNotNull();
                assertThat(v.getEmptyDir().getSizeLimit()).as(v.getName()).isNotNull();
              });
      assertThat(pod.getAutomountServiceAccountToken()).as(where).isFalse();
      assertThat(RBAC.get(pod.getServiceAccountName())).as(where + " no API rights").isEmpty();
      PodSecurityContext psc = pod.getSecurityContext();
      assertThat(psc.getRunAsNonRoot()).as(where).isTrue();
      assertThat(psc.getRunAsUser()).as(where).isNotNull().isPositive();
      assertThat(psc.getSeccompProfile().getType()).as(where).isEqualTo("RuntimeDefault");
      assertThat(pod.getContainers()).as(where).hasSize(1);
      Container c = pod.getContainers().get(0);
      SecurityContext sc = c.getSecurityContext();
      assertThat(sc.getAllowPrivilegeEscalation()).as(where).isFalse();
      assertThat(sc.getReadOnlyRootFilesystem()).as(where).isTrue();
      assertThat(sc.getPrivileged()).as(where).isNotEqualTo(Boolean.TRUE);
      assertThat(sc.getCapabilities().getDrop()).as(where).containsExactly("ALL");
      assertThat(sc.getCapabilities().getAdd()).as(where).isNullOrEmpty();
      for (String r : List.of("cpu", "memory")) {
        assertThat(c.getResources().getRequests()).as(where + " requests").containsKey(r);
        assertThat(c.getResources().getLimits()).as(where + " limits").containsKey(r);
      }
      assertThat(c.getPorts()).as(where).anyMatch(p -> p.getContainerPort() == port);
      // with a read-only root filesystem, every place PostgreSQL writes is a mounted emptyDir
      String pgdata =
          c.getEnv().stream()
              .filter(e -> e.getName().equals("PGDATA"))
              .map(EnvVar::getValue)
              .findFirst()
              .orElse("/var/lib/postgresql/data");
      for (String written : List.of(pgdata, "/var/run/postgresql", "/tmp")) {
        assertThat(c.getVolumeMounts())
            .as(where + " scratch server writes " + written)
            .anyMatch(
                m ->
                    written.equals(m.getMountPath()) || written.startsWith(m.getMountPath() + "/"));
      }
      if (!TAGLESS.contains(dir)) {
        assertThat(c.getImage()).as(where + " scratch server image").matches("postgres:.+");
      }
      // its superuser is what the restore test connects as: one Secret, the test's own
      CronJob test = only(objects, CronJob.class, "restore-test");
      Container tc =
          test.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(secretRefs(c.getEnv()))
          .as(where + " scratch server credentials")
          .containsEntry("POSTGRES_USER", "restore-test-postgres/PGUSER")
          .containsEntry("POSTGRES_PASSWORD", "restore-test-postgres/PGPASSWORD");
      assertThat(secretRefs(tc.getEnv()))
          .as(where + " restore test credentials")
          .containsEntry("PGUSER", "restore-test-postgres/PGUSER")
          .containsEntry("PGPASSWORD", "restore-test-postgres/PGPASSWORD");
      // the NetworkPolicies let exactly the restore test in, and let it out to the server
      Map<String, String> serverLabels = server.getSpec().getTemplate().getMetadata().getLabels();
      Map<String, String> testLabels =
          test.getSpec().getJobTemplate().getSpec().getTemplate().getMetadata().getLabels();
      boolean in = false;
      boolean out = false;
      for (NetworkPolicy p : all(objects, NetworkPolicy.class)) {
        Map<String, String> selected = p.getSpec().getPodSelector().getMatchLabels();
        if (matches(selected, serverLabels) && p.getSpec().getIngress() != null) {
          for (var rule : p.getSpec().getIngress()) {
            assertThat(rule.getFrom())
                .as(where + " NetworkPolicy " + p.getMetadata().getName() + " admits only the test")
                .isNotEmpty()
                .allSatisfy(
                    peer -> {
                      assertThat(peer.getIpBlock()).isNull();
                      assertThat(peer.getNamespaceSelector()).isNull();
                      assertThat(matches(peer.getPodSelector().getMatchLabels(), testLabels))
                          .isTrue();
                    });
            in |= rule.getPorts().stream().anyMatch(x -> x.getPort().getIntVal() == port);
          }
        }
        if (matches(selected, testLabels) && p.getSpec().getEgress() != null) {
          for (var rule : p.getSpec().getEgress()) {
            boolean toServer =
                rule.getTo() != null
                    && rule.getTo().stream()
                        .anyMatch(
                            peer ->
                                peer.getNamespaceSelector() == null
                                    && peer.getPodSelector() != null
                                    && matches(
                                        peer.getPodSelector().getMatchLabels(), serverLabels));
            out |=
                toServer && rule.getPorts().stream().anyMatch(x -> x.getPort().getIntVal() == port);
          }
        }
      }
      assertThat(in).as(where + ": a NetworkPolicy admits the restore test to the server").isTrue();
      assertThat(out)
          .as(where + ": a NetworkPolicy lets the restore test reach the server")
          .isTrue();
    }
  }

  @Test
  void clusterRoles_onlyForTheAccountsThatWorkAcrossNamespaces() {
    RENDERED.forEach(
        (dir, objects) -> {
          for (ClusterRoleBinding b : all(objects, ClusterRoleBinding.class)) {
            for (Subject s : b.getSubjects()) {
              assertThat(CLUSTER_WIDE_ACCOUNTS)
                  .as(
                      "k8s/"
                          + dir
                          + " ClusterRoleBinding "
                          + b.getMetadata().getName()
                          + ": "
                          + s.getName()
                          + " works in known namespaces, so a Role there suffices")
                  .contains(s.getName());
            }
          }
        });
  }

  @Test
  void images_takeRegistryAndTagFromTheReleaseComponentAlone() throws Exception {
    List<String> withImages = new ArrayList<>();
    List<String> pinned = new ArrayList<>();
    Pattern pin = Pattern.compile("image:\\s*\"?ghcr\\.io/aido-todo/job-[a-z-]+:");
    try (Stream<Path> files = Files.walk(Project.k8s())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (!f.toString().endsWith(".yaml")) {
          continue;
        }
        String text = Files.readString(f);
        String rel = Project.k8s().relativize(f).toString();
        if (f.getFileName().toString().equals("kustomization.yaml")) {
          if (Pattern.compile("(?m)^images:").matcher(text).find()) {
            withImages.add(Project.k8s().relativize(f.getParent()).toString());
          }
        } else if (pin.matcher(text).find()) {
          pinned.add(rel);
        }
      }
    }
    assertThat(withImages).as("kustomizations that set images").containsExactly(RELEASE);
    // and the README says how to publish images and point the release at them
    assertThat(Files.readString(Project.root().resolve("README.md")))
        .contains("jib:build", "-Dimage.tag=", "kustomize edit set image", RELEASE);
    assertThat(pinned).as("manifests that pin a job image's tag").isEmpty();
    Map<String, String> tags = new TreeMap<>();
    JsonNode release =
        new ObjectMapper(new YAMLFactory())
            .readTree(Project.k8s().resolve(RELEASE).resolve("kustomization.yaml").toFile());
    for (JsonNode image : release.path("images")) {
      tags.put(image.path("name").asText(), image.path("newTag").asText());
    }
    for (String job : JobCommandLines.JOBS.keySet()) {
      assertThat(tags)
          .as(RELEASE + ": the release's tag is the Maven version")
          .containsEntry("ghcr.io/aido-todo/" + job, Project.version());
    }
    // every rendering that installs something includes the component: its images carry the tag
    for (String dir : KUSTOMIZATIONS) {
      if (TAGLESS.contains(dir)) {
        continue;
      }
      for (HasMetadata o : RENDERED.get(dir)) {
        PodTemplateSpec t = podTemplate(o);
        if (t != null) {
          for (Container c : t.getSpec().getContainers()) {
            assertThat(c.getImage())
                .as("k8s/" + dir + " " + o.getKind() + " " + o.getMetadata().getName())
                .contains(":");
          }
        }
      }
    }
  }

  @Test
  void scheduledRuns_pushUnderDistinctGroupingKeys() {
    for (String dir : INSTALLED) {
      Map<String, Map<String, String>> configMaps = new TreeMap<>();
      all(RENDERED.get(dir), ConfigMap.class)
          .forEach(c -> configMaps.put(c.getMetadata().getName(), c.getData()));
      Map<String, String> keys = new TreeMap<>();
      for (Workload w : workloads(dir)) {
        Container c = w.template().getSpec().getContainers().get(0);
        Matcher image = IMAGE.matcher(c.getImage());
        assertThat(image.matches()).as(w.where()).isTrue();
        String job = image.group(1);
        List<String> args =
            c.getArgs() == null || c.getArgs().isEmpty()
                ? List.of(JobCommandLines.DEFAULT_COMMANDS.get(job))
                : c.getArgs();
        Map<String, String> env = new TreeMap<>();
        if (c.getEnvFrom() != null) {
          for (EnvFromSource from : c.getEnvFrom()) {
            env.putAll(configMaps.getOrDefault(from.getConfigMapRef().getName(), Map.of()));
          }
        }
        if (c.getEnv() != null) {
          c.getEnv().stream()
              .filter(e -> e.getValue() != null)
              .forEach(e -> env.put(e.getName(), e.getValue()));
        }
        // the real command decides its label, options and variables parsed as in the pod
        String key = JobCommandLines.groupingKey(job, args, env);
        assertThat(keys.put(key, w.name()))
            .as("k8s/" + dir + ": " + w.name() + " pushes as " + key + ", as does another workload")
            .isNull();
      }
      // the monthly drill's outcome survives the nightly verify
      assertThat(keys)
          .as("k8s/" + dir)
          .containsKeys("verify/verify", "verify/restore-test", "verify/drill");
    }
  }

  @Test
  void verify_requiresAFreshVerifiedBackupOfEveryKindWithinItsSchedule() {
    Map<BackupKind, String> producers =
        Map.of(
            BackupKind.DB_LOGICAL, "db-backup",
            BackupKind.DB_BASE, "db-base-backup",
            BackupKind.DAPR, "dapr-snapshot",
            BackupKind.MANIFESTS, "manifest-export");
    assertThat(producers.keySet()).containsExactlyInAnyOrder(BackupKind.values());
    for (String dir : INSTALLED) {
      CronJob verify = only(RENDERED.get(dir), CronJob.class, "verify");
      Map<String, String> env = new TreeMap<>();
      verify
          .getSpec()
          .getJobTemplate()
          .getSpec()
          .getTemplate()
          .getSpec()
          .getContainers()
          .get(0)
          .getEnv()
          .forEach(e -> env.put(e.getName(), e.getValue()));
      String where = "k8s/" + dir + " CronJob verify ";
      assertThat(env.get("BACKUP_REQUIRE_KIND")).as(where + "BACKUP_REQUIRE_KIND").isNotNull();
      assertThat(List.of(env.get("BACKUP_REQUIRE_KIND").split(",")))
          .as(where + "BACKUP_REQUIRE_KIND: a kind that never ran is stale too")
          .containsExactlyInAnyOrderElementsOf(
              producers.keySet().stream().map(BackupKind::id).toList());
      Map<String, Duration> limits = new TreeMap<>();
      for (String entry : env.get("BACKUP_MAX_AGE").split(",")) {
        String[] kv = entry.split("=");
        limits.put(kv[0], duration(kv[1]));
      }
      producers.forEach(
          (kind, cronJob) -> {
            Duration period = CRONJOBS.get(cronJob).period();
            assertThat(limits.get(kind.id()))
                .as(where + "BACKUP_MAX_AGE of " + kind + " against CronJob " + cronJob)
                .isNotNull()
                .isGreaterThan(period)
                .isLessThanOrEqualTo(period.multipliedBy(2));
          });
    }
  }

  @Test
  void gkeOverlay_reachesOnlyTheControlPlaneAndResolvesNamesAsGkeServesThem() {
    for (String dir : List.of("overlays/gke", "overlays/gke-wal-follow")) {
      List<HasMetadata> objects = RENDERED.get(dir);
      String where = "k8s/" + dir + " ";
      NetworkPolicy api = only(objects, NetworkPolicy.class, "egress-apiserver");
      List<String> cidrs = new ArrayList<>();
      api.getSpec()
          .getEgress()
          .forEach(r -> r.getTo().forEach(p -> cidrs.add(p.getIpBlock().getCidr())));
      assertThat(cidrs)
          .as(where + "egress-apiserver: the control plane's range, a parameter")
          .containsExactly(CONTROL_PLANE_CIDR);
      Set<String> dns = new TreeSet<>();
      for (NetworkPolicy p : all(objects, NetworkPolicy.class)) {
        Map<String, String> selected = p.getSpec().getPodSelector().getMatchLabels();
        if ((selected == null || selected.isEmpty()) && p.getSpec().getEgress() != null) {
          for (var rule : p.getSpec().getEgress()) {
            boolean port53 =
                rule.getPorts() != null
                    && rule.getPorts().stream().anyMatch(x -> x.getPort().getIntVal() == 53);
            if (port53) {
              rule.getTo().stream()
                  .filter(peer -> peer.getIpBlock() != null)
                  .forEach(peer -> dns.add(peer.getIpBlock().getCidr()));
            }
          }
        }
      }
      assertThat(dns)
          .as(where + "DNS for every pod: Cloud DNS, NodeLocal DNSCache and its kube-dns address")
          .contains("169.254.169.254/32", "169.254.20.10/32", KUBE_DNS_IP + "/32");
    }
  }

  @Test
  void kmsKeyRing_isMultiRegionalEverywhereItIsNamed() throws Exception {
    Pattern uri = Pattern.compile("locations/([A-Za-z0-9-]+)/keyRings/");
    Pattern flag = Pattern.compile("gcloud kms .*--location=([A-Za-z0-9-]+)");
    Pattern region = Pattern.compile("[a-z]+-[a-z]+[0-9]+");
    List<String> found = new ArrayList<>();
    List<Path> sources =
        List.of(
            Project.k8s().resolve("overlays/gke/backup-config.yaml"),
            Project.k8s().resolve("restore/pitr/restore-pitr.env"),
            Project.root().resolve("README.md"),
            Project.root().resolve("docs/disaster-recovery.md"));
    for (Path f : sources) {
      String text = Files.readString(f);
      for (Pattern p : List.of(uri, flag)) {
        Matcher m = p.matcher(text);
        while (m.find()) {
          found.add(Project.root().relativize(f) + ": " + m.group(1));
          assertThat(region.matcher(m.group(1)).matches())
              .as(f + ": key ring location " + m.group(1) + " is one region, lost with it")
              .isFalse();
        }
      }
    }
    assertThat(found).as("key ring locations found").hasSizeGreaterThanOrEqualTo(4);
  }

  // ---- helpers

  static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
    List<T> found = new ArrayList<>();
    for (HasMetadata o : objects) {
      if (type.isInstance(o)) {
        found.add(type.cast(o));
      }
    }
    return found;
  }

  static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type, String name) {
    List<T> found =
        all(objects, type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
    assertThat(found).as(type.getSimpleName() + " " + name).hasSize(1);
    return found.get(0);
  }

  static List<Workload> workloads() {
    List<Workload> all = new ArrayList<>();
    for (String dir : RENDERED.keySet()) {
      all.addAll(workloads(dir));
    }
    return all;
  }

  static List<Workload> workloads(String dir) {
    List<Workload> found = new ArrayList<>();
    for (HasMetadata o : RENDERED.get(dir)) {
      if (o instanceof CronJob c) {
        found.add(
            new Workload(
                dir,
                c.getMetadata().getName(),
                "CronJob",
                c.getSpec().getJobTemplate().getSpec().getTemplate()));
      } else if (o instanceof Job j) {
        found.add(new Workload(dir, j.getMetadata().getName(), "Job", j.getSpec().getTemplate()));
      } else if (o instanceof Deployment d) {
        found.add(
            new Workload(dir, d.getMetadata().getName(), "Deployment", d.getSpec().getTemplate()));
      }
    }
    return found;
  }

  /**
   * The ServiceAccounts (namespace/name where the namespace is not aido-backup, else name) of the
   * pods among {@code objects} that reach the repository and its key: those labelled
   * backup.aido.io/egress-storage.
   */
  static Set<String> storageServiceAccounts(List<HasMetadata> objects) {
    Set<String> accounts = new TreeSet<>();
    for (HasMetadata o : objects) {
      PodTemplateSpec t = podTemplate(o);
      Map<String, String> labels = t == null ? null : t.getMetadata().getLabels();
      if (labels != null && "true".equals(labels.get(LABEL_EGRESS + "storage"))) {
        accounts.add(t.getSpec().getServiceAccountName());
      }
    }
    return accounts;
  }

  private static PodTemplateSpec podTemplate(HasMetadata o) {
    if (o instanceof CronJob c) {
      return c.getSpec().getJobTemplate().getSpec().getTemplate();
    } else if (o instanceof Job j) {
      return j.getSpec().getTemplate();
    } else if (o instanceof Deployment d) {
      return d.getSpec().getTemplate();
    } else if (o instanceof StatefulSet s) {
      return s.getSpec().getTemplate();
    }
    return null;
  }

  /** The pod templates of CronJobs, Jobs and Deployments among {@code objects}. */
  static List<PodTemplateSpec> workloadsOf(List<HasMetadata> objects) {
    List<PodTemplateSpec> found = new ArrayList<>();
    for (HasMetadata o : objects) {
      if (o instanceof CronJob c) {
        found.add(c.getSpec().getJobTemplate().getSpec().getTemplate());
      } else if (o instanceof Job j) {
        found.add(j.getSpec().getTemplate());
      } else if (o instanceof Deployment d) {
        found.add(d.getSpec().getTemplate());
      }
    }
    return found;
  }

  private static Set<String> egress(Workload w) {
    Set<String> labels = new TreeSet<>();
    Map<String, String> l = w.template().getMetadata().getLabels();
    if (l != null) {
      l.forEach(
          (k, v) -> {
            if (k.startsWith(LABEL_EGRESS) && "true".equals(v)) {
              labels.add(k.substring(LABEL_EGRESS.length()));
            }
          });
    }
    return labels;
  }

  /** The subjects of a (Cluster)RoleBinding; none for any other object. */
  private static List<Subject> subjects(HasMetadata o) {
    List<Subject> subjects = null;
    if (o instanceof ClusterRoleBinding b) {
      subjects = b.getSubjects();
    } else if (o instanceof RoleBinding b) {
      subjects = b.getSubjects();
    }
    return subjects == null ? List.of() : subjects;
  }

  /**
   * The rules of the role that binding {@code o} refers to, found beside it (a Role in the
   * binding's namespace, or a ClusterRole); null if {@code o} is no binding.
   */
  private static List<PolicyRule> roleRules(List<HasMetadata> objects, HasMetadata o) {
    RoleRef ref;
    if (o instanceof ClusterRoleBinding b) {
      ref = b.getRoleRef();
    } else if (o instanceof RoleBinding b) {
      ref = b.getRoleRef();
    } else {
      return null;
    }
    List<PolicyRule> rules = null;
    for (HasMetadata r : objects) {
      if (r.getMetadata().getName().equals(ref.getName())) {
        if (ref.getKind().equals("ClusterRole") && r instanceof ClusterRole cr) {
          rules = cr.getRules();
        } else if (ref.getKind().equals("Role")
            && r instanceof Role role
            && Objects.equals(role.getMetadata().getNamespace(), o.getMetadata().getNamespace())) {
          rules = role.getRules();
        }
      }
    }
    assertThat(rules)
        .as(o.getKind() + " " + o.getMetadata().getName() + " refers to a role defined beside it")
        .isNotNull();
    return rules;
  }

  /** Whether {@code rule} reaches core Secrets (named or through a wildcard). */
  private static boolean coversSecrets(PolicyRule rule) {
    return (rule.getApiGroups().contains("") || rule.getApiGroups().contains("*"))
        && (rule.getResources().contains("secrets") || rule.getResources().contains("*"));
  }

  /**
   * Everything bound to {@code sa} in one rendering, sorted: "group/resource: verbs" when granted
   * cluster-wide, "in NAMESPACE: group/resource [names]: verbs" when by a RoleBinding.
   */
  private static List<String> rules(List<HasMetadata> objects, ServiceAccount sa) {
    Map<String, Set<String>> verbs = new TreeMap<>();
    for (HasMetadata o : objects) {
      boolean bound =
          subjects(o).stream()
              .anyMatch(
                  s ->
                      s.getKind().equals("ServiceAccount")
                          && s.getName().equals(sa.getMetadata().getName())
                          && Objects.equals(s.getNamespace(), sa.getMetadata().getNamespace()));
      if (!bound) {
        continue;
      }
      String scope = o instanceof RoleBinding ? "in " + o.getMetadata().getNamespace() + ": " : "";
      for (PolicyRule rule : roleRules(objects, o)) {
        String names =
            rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
                ? ""
                : " " + rule.getResourceNames();
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            verbs
                .computeIfAbsent(scope + group + "/" + resource + names, k -> new TreeSet<>())
                .addAll(rule.getVerbs());
          }
        }
      }
    }
    List<String> out = new ArrayList<>();
    verbs.forEach((k, v) -> out.add(k + ": " + String.join(",", v)));
    return out;
  }

  /**
   * Whether every entry of {@code selector} is among {@code labels}; an empty selector matches all.
   */
  private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    if (selector == null || selector.isEmpty()) {
      return true;
    }
    return labels != null && labels.entrySet().containsAll(selector.entrySet());
  }

  /** Variable name to "secret/key" for the variables of {@code env} read from a Secret. */
  private static Map<String, String> secretRefs(List<EnvVar> env) {
    Map<String, String> refs = new TreeMap<>();
    if (env != null) {
      for (EnvVar e : env) {
        if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
          var ref = e.getValueFrom().getSecretKeyRef();
          refs.put(e.getName(), ref.getName() + "/" + ref.getKey());
        }
      }
    }
    return refs;
  }

  /** A duration as BACKUP_MAX_AGE writes it: 26h, 2h, 8d, 90m. */
  private static Duration duration(String text) {
    long n = Long.parseLong(text.substring(0, text.length() - 1));
    return switch (text.charAt(text.length() - 1)) {
      case 'd' -> Duration.ofDays(n);
      case 'h' -> Duration.ofHours(n);
      case 'm' -> Duration.ofMinutes(n);
      default -> throw new IllegalArgumentException("not a duration: " + text);
    };
  }
}
