package io.aido.backup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks k8s/monitoring against the code: every alert the issue asks for exists, and every {@code
 * backup_*} metric an alert or a dashboard panel uses is one the jobs push (found by scanning their
 * sources for metric names) or is listed in {@link #PENDING_METRICS}.
 */
class MonitoringTest {
  private static final Pattern METRIC = Pattern.compile("\\b(backup_[a-z_]+)\\b");
  private static final Pattern PUSHED = Pattern.compile("\"(backup_[a-z_]+)\"");

  /**
   * Metrics the alerts and the dashboard need that no job pushes yet. Once one is pushed, the test
   * fails until it is removed from here.
   */
  static final Set<String> PENDING_METRICS = Set.of();

  /** Metrics of kube-state-metrics, which Prometheus scrapes on its own. */
  static final Set<String> KUBE_STATE_METRICS =
      Set.of(
          "kube_job_status_failed",
          "kube_job_status_start_time",
          "kube_deployment_status_replicas_available",
          "kube_deployment_spec_replicas",
          "kube_pod_container_status_restarts_total");

  static final Set<String> ALERTS =
      Set.of(
          "BackupRunFailed",
          "BackupJobFailed",
          "BackupMissingDbLogical",
          "BackupMissingDbBase",
          "BackupMissingDapr",
          "BackupMissingManifests",
          "BackupNeverCompleted",
          "BackupVerificationFailed",
          "BackupStale",
          "BackupRestoreTestOverdue",
          "BackupRestoreSlowerThanRto",
          "WalArchivingBehindRpo",
          "WalReplicationSlotRetainingTooMuch",
          "WalFollowerNotReady",
          "WalFollowerRestarting");

  private static List<HasMetadata> monitoring;
  private static Set<String> pushed;

  @BeforeAll
  static void load() throws Exception {
    monitoring = Project.objects("monitoring");
    pushed = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Project.root())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String p = f.toString();
        if (p.endsWith(".java") && p.contains("/src/main/java/")) {
          Matcher m = PUSHED.matcher(Files.readString(f));
          while (m.find()) {
            pushed.add(m.group(1));
          }
        }
      }
    }
  }

  @Test
  void pushedMetrics_areFoundInTheSources() {
    // the scan itself must work, or every later check would pass on nothing
    assertThat(pushed)
        .contains(
            "backup_run_success",
            "backup_last_success_timestamp_seconds",
            "backup_verify_failures");
  }

  @Test
  void prometheusRule_hasEveryAlertOverMetricsTheJobsPush() {
    List<GenericKubernetesResource> rules =
        monitoring.stream()
            .filter(o -> o.getKind().equals("PrometheusRule"))
            .map(GenericKubernetesResource.class::cast)
            .toList();
    assertThat(rules).hasSize(1);
    assertThat(rules.get(0).getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    Set<String> alerts = new TreeSet<>();
    List<String> problems = new ArrayList<>();
    List<Map<String, Object>> groups = rules.get(0).get("spec", "groups");
    for (Map<String, Object> group : groups) {
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> groupRules = (List<Map<String, Object>>) group.get("rules");
      for (Map<String, Object> rule : groupRules) {
        String alert = (String) rule.get("alert");
        alerts.add(alert);
        String expr = (String) rule.get("expr");
        assertThat(expr).as(alert + " expr").isNotBlank();
        assertThat(balanced(expr)).as(alert + " brackets balance: " + expr).isTrue();
        @SuppressWarnings("unchecked")
        Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
        assertThat(labels).as(alert).containsKey("severity");
        @SuppressWarnings("unchecked")
        Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
        assertThat(annotations).as(alert).containsKeys("summary", "description");
        problems.addAll(unknownMetrics(alert, expr));
      }
    }
    assertThat(alerts).containsExactlyInAnyOrderElementsOf(ALERTS);
    assertThat(problems).isEmpty();
  }

  @Test
  void walFollowerAlerts_nameTheDeploymentAndContainerTheOverlayRuns() throws Exception {
    List<HasMetadata> follow = Project.objects("overlays/gke-wal-follow");
    io.fabric8.kubernetes.api.model.apps.Deployment deployment =
        KustomizationsTest.only(
            follow, io.fabric8.kubernetes.api.model.apps.Deployment.class, "wal-archive");
    String namespace = deployment.getMetadata().getNamespace();
    String container =
        deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getName();
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("wal-archive", "--follow");
    String rules = Files.readString(Project.root().resolve("k8s/monitoring/prometheus-rules.yaml"));
    assertThat(rules)
        .contains(
            "kube_deployment_status_replicas_available{namespace=\""
                + namespace
                + "\", deployment=\""
                + deployment.getMetadata().getName()
                + "\"}")
        .contains(
            "kube_pod_container_status_restarts_total{namespace=\""
                + namespace
                + "\", container=\""
                + container
                + "\"}");
  }

  @Test
  void dashboard_showsEveryKindOverMetricsTheJobsPush() throws IOException {
    ConfigMap dashboard =
        KustomizationsTest.only(monitoring, ConfigMap.class, "aido-backup-dashboard");
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    JsonNode json = new ObjectMapper().readTree(dashboard.getData().get("aido-backup.json"));
    assertThat(json.path("uid").asText()).isEqualTo("aido-backup");
    Set<String> variables = new TreeSet<>();
    json.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
    List<String> problems = new ArrayList<>();
    Set<String> used = new TreeSet<>();
    for (JsonNode panel : json.path("panels")) {
      String title = panel.path("title").asText();
      assertThat(panel.path("targets").size()).as(title + " has queries").isPositive();
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        assertThat(balanced(expr)).as(title + ": " + expr).isTrue();
        Matcher v = Pattern.compile("\\$(\\w+)").matcher(expr);
        while (v.find()) {
          assertThat(variables).as(title + " uses $" + v.group(1)).contains(v.group(1));
        }
        problems.addAll(unknownMetrics(title, expr));
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
          used.add(m.group(1));
        }
      }
    }
    assertThat(problems).isEmpty();
    // last success per kind, sizes, durations, restore-test times
    assertThat(used)
        .contains(
            "backup_last_success_timestamp_seconds",
            "backup_stored_bytes",
            "backup_run_duration_seconds",
            "backup_verify_last_restore_test_duration_seconds");
  }

  @Test
  void pushgatewaySetting_isReachableThroughTheNetworkPolicy() throws Exception {
    List<HasMetadata> base = Project.objects("base");
    String url =
        KustomizationsTest.only(base, ConfigMap.class, "backup-config")
            .getData()
            .get("BACKUP_PUSHGATEWAY_URL");
    URI uri = URI.create(url);
    NetworkPolicy policy = KustomizationsTest.only(base, NetworkPolicy.class, "egress-pushgateway");
    assertThat(policy.getSpec().getEgress().get(0).getPorts())
        .anySatisfy(p -> assertThat(p.getPort().getIntVal()).isEqualTo(uri.getPort()));
    String namespace = uri.getHost().split("\\.")[1];
    assertThat(
            policy
                .getSpec()
                .getEgress()
                .get(0)
                .getTo()
                .get(0)
                .getNamespaceSelector()
                .getMatchLabels())
        .containsEntry("kubernetes.io/metadata.name", namespace);
  }

  private static List<String> unknownMetrics(String where, String expr) {
    List<String> problems = new ArrayList<>();
    Matcher m = METRIC.matcher(expr);
    while (m.find()) {
      String name = m.group(1);
      boolean isPushed = pushed.contains(name);
      if (isPushed && PENDING_METRICS.contains(name)) {
        problems.add(where + ": " + name + " is pushed now: remove it from PENDING_METRICS");
      } else if (!isPushed && !PENDING_METRICS.contains(name)) {
        problems.add(where + ": no job pushes " + name);
      }
    }
    Matcher k = Pattern.compile("\\b(kube_[a-z_]+)\\b").matcher(expr);
    while (k.find()) {
      if (!KUBE_STATE_METRICS.contains(k.group(1))) {
        problems.add(where + ": " + k.group(1) + " is not a kube-state-metrics metric we rely on");
      }
    }
    return problems;
  }

  private static boolean balanced(String expr) {
    int round = 0;
    int curly = 0;
    for (char c : expr.toCharArray()) {
      round += c == '(' ? 1 : c == ')' ? -1 : 0;
      curly += c == '{' ? 1 : c == '}' ? -1 : 0;
      if (round < 0 || curly < 0) {
        return false;
      }
    }
    return round == 0 && curly == 0;
  }
}
