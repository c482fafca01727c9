package io.aido.backup.core.storage.gcs;

import com.google.api.gax.retrying.RetrySettings;
import com.google.cloud.NoCredentials;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import java.time.Duration;

/**
 * Builds the {@link Storage} clients a {@link GcsBlobStore} runs on, with retries configured.
 *
 * <p>Retries follow the client's default strategy: idempotent requests (every request a {@link
 * GcsBlobStore} makes, including its create-only uploads) are retried on HTTP 408, 429, 5xx and on
 * broken connections, with exponential backoff bounded by the given {@link RetrySettings}.
 *
 * <pre>{@code
 * Storage storage = GcsStorages.production();
 * Storage fake = GcsStorages.forEndpoint("http://localhost:8080", GcsStorages.retrySettings(
 *     5, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(10)));
 * }</pre>
 */
public final class GcsStorages {
  private GcsStorages() {}

  /** Up to 6 attempts, backoff from 1 s to 32 s, giving up after 5 minutes. */
  public static RetrySettings defaultRetrySettings() {
    return retrySettings(6, Duration.ofSeconds(1), Duration.ofSeconds(32), Duration.ofMinutes(5));
  }

  /**
   * Retry settings with exponential backoff (doubling) between {@code initialDelay} and {@code
   * maxDelay}.
   *
   * @param maxAttempts attempts in total, the first included
   * @param totalTimeout how long one operation may take, all its attempts together
   */
  public static RetrySettings retrySettings(
      int maxAttempts, Duration initialDelay, Duration maxDelay, Duration totalTimeout) {
    return RetrySettings.newBuilder()
        .setMaxAttempts(maxAttempts)
        .setInitialRetryDelayDuration(initialDelay)
        .setMaxRetryDelayDuration(maxDelay)
        .setRetryDelayMultiplier(2.0)
        .setTotalTimeoutDuration(totalTimeout)
        .setInitialRpcTimeoutDuration(totalTimeout)
        .setMaxRpcTimeoutDuration(totalTimeout)
        .setRpcTimeoutMultiplier(1.0)
        .build();
  }

  /**
   * The client for real GCS: JSON API over HTTP, application default credentials (a workload
   * identity in the cluster, {@code GOOGLE_APPLICATION_CREDENTIALS} or gcloud's login elsewhere),
   * {@link #defaultRetrySettings()}.
   */
  public static Storage production() {
    return production(defaultRetrySettings());
  }

  /** The client for real GCS with the given retry settings; see {@link #production()}. */
  public static Storage production(RetrySettings retry) {
    return StorageOptions.http()
        .setRetrySettings(retry)
        .setStorageRetryStrategy(StorageRetryStrategy.getDefaultStorageRetryStrategy())
        .build()
        .getService();
  }

  /**
   * A client for a GCS-compatible endpoint without credentials, such as an emulator or a test's
   * HTTP server.
   *
   * @param host the endpoint's base URL, such as {@code http://localhost:8080}
   */
  public static Storage forEndpoint(String host, RetrySettings retry) {
    return StorageOptions.http()
        .setHost(host)
        .setProjectId("test-project")
        .setCredentials(NoCredentials.getInstance())
        .setRetrySettings(retry)
        .setStorageRetryStrategy(StorageRetryStrategy.getDefaultStorageRetryStrategy())
        .build()
        .getService();
  }
}
