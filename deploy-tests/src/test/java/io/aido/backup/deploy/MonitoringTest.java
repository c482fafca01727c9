package io.aido.backup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.aido.backup.core.catalog.BackupKind;
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
import java.util.TreeMap;
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
          "BackupNeverCompletedDbBase",
          "BackupNeverCompletedDapr",
          "BackupNeverCompletedManifests",
          "BackupVerificationFailed",
          "BackupStale",
          "BackupRestoreTestFailed",
          "BackupRestoreTestOverdue",
          "BackupRestoreTestNeverPassed",
          "BackupRestoreSlowerThanRto",
          "BackupKeysNotCurrent",
          "BackupDrillFailed",
          "BackupDrillOverdue",
          "BackupDrillNeverPassed",
          "WalArchivingBehindRpo",
          "WalArchivingNeverSucceeded",
          "WalReplicationSlotRetainingTooMuch",
          "WalReplicationSlotNotMonitored",
          "BackupReplicationLagging",
          "BackupReplicationStopped",
          "WalFollowerNotReady",
          "WalFollowerRestarting");

  /**
   * The custom query postgres_exporter runs for the alerts on the server's own figures (a
   * documented prerequisite): the {@code aido_*} metrics an alert uses must be ones it exports.
   */
  static final String EXPORTER_QUERIES = "monitoring/postgres-exporter-queries.yaml";

  private static List<HasMetadata> monitoring;
  private static Set<String> pushed;
  private static Set<String> exported;

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
    // postgres_exporter names a custom query's gauges <query>_<column>
    exported = new TreeSet<>();
    JsonNode queries =
        new ObjectMapper(new YAMLFactory())
            .readTree(Project.k8s().resolve(EXPORTER_QUERIES).toFile());
    queries
        .fields()
        .forEachRemaining(
            q ->
                q.getValue()
                    .path("metrics")
                    .forEach(
                        column ->
                            column
                                .fields()
                                .forEachRemaining(
                                    c -> {
                                      if (c.getValue().path("usage").asText().equals("GAUGE")) {
                                        exported.add(q.getKey() + "_" + c.getKey());
                                      }
                                    })));
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

  @Test
  void everyKind_hasANeverSucceededGuard() {
    Map<String, Map<String, Object>> rules = rules();
    Set<String> guarded = new TreeSet<>();
    Pattern absent = Pattern.compile("absent\\((backup_[a-z_]+|aido_[a-z_]+)(\\{[^}]*\\})?\\)");
    rules.forEach(
        (alert, rule) -> {
          Matcher m = absent.matcher((String) rule.get("expr"));
          if (m.find()) {
            assertThat(rule.get("for"))
                .as(alert + ": an absent() guard waits its limit")
                .isNotNull();
            guarded.add(m.group(1) + (m.group(2) == null ? "" : m.group(2)));
          }
        });
    for (BackupKind kind : BackupKind.values()) {
      assertThat(guarded)
          .as("a kind that never completed a backup alerts too")
          .contains("backup_last_success_timestamp_seconds{kind=\"" + kind.id() + "\"}");
    }
    assertThat(guarded)
        .contains(
            // pushed by the CronJob at its end and by wal-archive --follow while it runs
            "backup_wal_archive_archived_through_timestamp_seconds",
            "backup_verify_last_restore_test_timestamp_seconds");
  }

  @Test
  void drill_failureAgeAlertsAndRtoRpoPanel() throws IOException {
    Map<String, Map<String, Object>> rules = rules();
    assertThat((String) rules.get("BackupDrillFailed").get("expr"))
        .contains("backup_drill_success")
        .endsWith("== 0");
    assertThat((String) rules.get("BackupDrillOverdue").get("expr"))
        .contains("backup_drill_last_success_timestamp_seconds")
        .endsWith("> 100 * 86400");
    ConfigMap dashboard =
        KustomizationsTest.only(monitoring, ConfigMap.class, "aido-backup-dashboard");
    JsonNode json = new ObjectMapper().readTree(dashboard.getData().get("aido-backup.json"));
    List<String> exprs = new ArrayList<>();
    json.path("panels")
        .forEach(p -> p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
    assertThat(exprs)
        .anyMatch(e -> e.contains("backup_drill_rto_seconds"))
        .anyMatch(e -> e.contains("backup_drill_rpo_seconds"));
  }

  @Test
  void restoreTest_failuresAndAgeAlert() {
    Map<String, Map<String, Object>> rules = rules();
    assertThat((String) rules.get("BackupRestoreTestFailed").get("expr"))
        .contains("backup_verify_restore_failures")
        .endsWith("> 0");
    assertThat((String) rules.get("BackupRestoreTestOverdue").get("expr"))
        .contains("backup_verify_last_restore_test_timestamp_seconds")
        .endsWith("> 35 * 86400");
  }

  @Test
  void slotRetention_isAlertedFromTheServerNotFromArchiverPushes() {
    String expr = (String) rules().get("WalReplicationSlotRetainingTooMuch").get("expr");
    assertThat(expr)
        .contains("aido_replication_slot_retained_bytes")
        .doesNotContain("backup_wal_archive_lag_bytes");
    assertThat(exported).contains("aido_replication_slot_retained_bytes");
  }

  /** Every alerting rule of the PrometheusRule, by alert name. */
  private static Map<String, Map<String, Object>> rules() {
    GenericKubernetesResource rule =
        monitoring.stream()
            .filter(o -> o.getKind().equals("PrometheusRule"))
            .map(GenericKubernetesResource.class::cast)
            .findFirst()
            .orElseThrow();
    Map<String, Map<String, Object>> byAlert = new TreeMap<>();
    List<Map<String, Object>> groups = rule.get("spec", "groups");
    for (Map<String, Object> group : groups) {
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> groupRules = (List<Map<String, Object>>) group.get("rules");
      groupRules.forEach(r -> byAlert.put((String) r.get("alert"), r));
    }
    return byAlert;
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
    // label values ("aido_backup_wal") are no metrics
    Matcher a =
        Pattern.compile("\\b(aido_[a-z_]+)\\b").matcher(expr.replaceAll("\"[^\"]*\"", "\"\""));
    while (a.find()) {
      if (!exported.contains(a.group(1))) {
        problems.add(
            where + ": " + a.group(1) + " is not exported by the query of " + EXPORTER_QUERIES);
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
