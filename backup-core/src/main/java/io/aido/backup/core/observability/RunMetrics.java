package io.aido.backup.core.observability;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.config.Redaction;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.exporter.pushgateway.Format;
import io.prometheus.metrics.exporter.pushgateway.PushGateway;
import io.prometheus.metrics.exporter.pushgateway.Scheme;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The metrics of one run of a job command, pushed to a Prometheus Pushgateway at the end.
 *
 * <p>Every run records {@code backup_run_start_timestamp_seconds}, {@code
 * backup_run_end_timestamp_seconds}, {@code backup_run_duration_seconds}, {@code
 * backup_run_success} (1 or 0) and, when it succeeded, {@code
 * backup_run_last_success_timestamp_seconds}. A job adds per-kind facts with {@link
 * #backupCompleted} ({@code backup_last_success_timestamp_seconds}, {@code backup_stored_bytes},
 * {@code backup_plaintext_bytes}, labelled {@code kind}) and its own values with {@link #gauge} and
 * {@link #count}.
 *
 * <p>Labels: the push's grouping key is {@code job} (db-backup, ...), {@code command} (backup, ...)
 * and {@code cluster} when set; the Pushgateway adds them to every series, so metrics carry them
 * without declaring them. Pushes use POST ({@code pushAdd}): a failed run replaces the run metrics
 * but leaves the last-success timestamps of earlier runs in place, which is what freshness alerts
 * need. Label values pass through {@link Redaction}.
 *
 * <pre>{@code
 * RunMetrics metrics = new RunMetrics("db-backup", "backup", Optional.of("prod"), clock);
 * metrics.started();
 * metrics.backupCompleted(BackupKind.DB_LOGICAL, record.storedSize(), record.plaintextSize());
 * metrics.finished(true);
 * metrics.push(URI.create("http://pushgateway:9091")); // or nothing, when no gateway is set
 * }</pre>
 *
 * <p>Not thread-safe for registration; values may be set from any thread.
 */
public final class RunMetrics {
  private final String job;
  private final String command;
  private final Optional<String> cluster;
  private final Clock clock;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Map<String, Registered<?>> metrics = new HashMap<>();
  private Instant startedAt;

  public RunMetrics(String job, String command, Optional<String> cluster, Clock clock) {
    this.job = Objects.requireNonNull(job, "job");
    this.command = Objects.requireNonNull(command, "command");
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Records the start of the run. */
  public void started() {
    startedAt = clock.instant();
    gauge("backup_run_start_timestamp_seconds", "When the run started.", seconds(startedAt));
  }

  /** Records the end of the run and whether it succeeded. */
  public void finished(boolean success) {
    Instant end = clock.instant();
    gauge("backup_run_end_timestamp_seconds", "When the run ended.", seconds(end));
    if (startedAt != null) {
      gauge(
          "backup_run_duration_seconds",
          "How long the run took.",
          Duration.between(startedAt, end).toMillis() / 1000.0);
    }
    gauge("backup_run_success", "1 when the run succeeded, 0 when it failed.", success ? 1 : 0);
    if (success) {
      gauge(
          "backup_run_last_success_timestamp_seconds",
          "When a run of this command last succeeded.",
          seconds(end));
    }
  }

  /** Records a backup of {@code kind} that was committed now. */
  public void backupCompleted(BackupKind kind, long storedBytes, long plaintextBytes) {
    Map<String, String> labels = Map.of("kind", kind.id());
    gauge(
        "backup_last_success_timestamp_seconds",
        "When the last complete backup of this kind was committed.",
        seconds(clock.instant()),
        labels);
    gauge("backup_stored_bytes", "Bytes stored by the last backup.", storedBytes, labels);
    gauge("backup_plaintext_bytes", "Plaintext bytes of the last backup.", plaintextBytes, labels);
  }

  /** Sets a gauge without labels. */
  public void gauge(String name, String help, double value) {
    gauge(name, help, value, Map.of());
  }

  /**
   * Sets a gauge. A name must always be used with the same label names.
   *
   * @throws IllegalArgumentException if {@code name} was used as a counter or with other labels
   */
  public void gauge(String name, String help, double value, Map<String, String> labels) {
    Map<String, String> sorted = sorted(labels);
    Gauge gauge = registered(name, Gauge.class, sorted);
    if (gauge == null) {
      gauge = Gauge.builder().name(name).help(help).labelNames(names(sorted)).register(registry);
      metrics.put(name, new Registered<>(gauge, List.copyOf(sorted.keySet())));
    }
    gauge.labelValues(values(sorted)).set(value);
  }

  /**
   * Adds {@code amount} to a counter (exported as {@code name_total}).
   *
   * @throws IllegalArgumentException if {@code name} was used as a gauge or with other labels
   */
  public void count(String name, String help, double amount, Map<String, String> labels) {
    Map<String, String> sorted = sorted(labels);
    Counter counter = registered(name, Counter.class, sorted);
    if (counter == null) {
      counter =
          Counter.builder().name(name).help(help).labelNames(names(sorted)).register(registry);
      metrics.put(name, new Registered<>(counter, List.copyOf(sorted.keySet())));
    }
    counter.labelValues(values(sorted)).inc(amount);
  }

  /** The registry holding this run's metrics. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** The labels that identify this run's metrics in the Pushgateway. */
  public Map<String, String> groupingKey() {
    Map<String, String> key = new LinkedHashMap<>();
    key.put("job", job);
    key.put("command", command);
    cluster.ifPresent(c -> key.put("cluster", Redaction.redact(c)));
    return key;
  }

  /**
   * Pushes every metric to the Pushgateway at {@code gateway} ({@code http://host:port}).
   *
   * @throws IOException if the gateway cannot be reached or refuses the push
   */
  public void push(URI gateway) throws IOException {
    int port = gateway.getPort();
    if (port == -1) {
      port = "https".equals(gateway.getScheme()) ? 443 : 80;
    }
    PushGateway.Builder builder =
        PushGateway.builder()
            .address(gateway.getHost() + ":" + port)
            .scheme("https".equals(gateway.getScheme()) ? Scheme.HTTPS : Scheme.HTTP)
            .format(Format.PROMETHEUS_TEXT)
            .registry(registry)
            .job(job);
    groupingKey()
        .forEach(
            (k, v) -> {
              if (!k.equals("job")) {
                builder.groupingKey(k, v);
              }
            });
    builder.build().pushAdd();
  }

  private record Registered<M>(M metric, List<String> labelNames) {}

  private <M> M registered(String name, Class<M> type, Map<String, String> labels) {
    Registered<?> existing = metrics.get(name);
    if (existing == null) {
      return null;
    }
    if (!type.isInstance(existing.metric())) {
      throw new IllegalArgumentException(
          "metric '" + name + "' is not a " + type.getSimpleName().toLowerCase(Locale.ROOT));
    }
    if (!existing.labelNames().equals(List.copyOf(labels.keySet()))) {
      throw new IllegalArgumentException(
          "metric '" + name + "' has labels " + existing.labelNames() + ", not " + labels.keySet());
    }
    return type.cast(existing.metric());
  }

  private static Map<String, String> sorted(Map<String, String> labels) {
    Map<String, String> sorted = new TreeMap<>();
    labels.forEach((k, v) -> sorted.put(k, Redaction.redact(v)));
    return sorted;
  }

  private static String[] names(Map<String, String> sorted) {
    return sorted.keySet().toArray(String[]::new);
  }

  private static String[] values(Map<String, String> sorted) {
    return sorted.values().toArray(String[]::new);
  }

  private static double seconds(Instant t) {
    return t.toEpochMilli() / 1000.0;
  }
}
