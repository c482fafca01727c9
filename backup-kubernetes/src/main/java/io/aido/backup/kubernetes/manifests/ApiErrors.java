package io.aido.backup.kubernetes.manifests;

import io.fabric8.kubernetes.client.KubernetesClientException;

/** How our writes to the API server name themselves, and what the server said in one line. */
public final class ApiErrors {
  /** The name our writes carry in {@code managedFields}. */
  public static final String FIELD_MANAGER = "aido-backup";

  /** Where a job's Kubernetes credentials come from, for messages. */
  public static final String CREDENTIALS =
      "the Kubernetes credentials (the pod's ServiceAccount token, or the user of KUBECONFIG)";

  private ApiErrors() {}

  /**
   * Whether the API server refused the client's credentials (HTTP 401): a configuration problem,
   * not an outage.
   */
  public static boolean credentialsRefused(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() == 401) {
        return true;
      }
    }
    return false;
  }

  /**
   * What the API server said, in one line: the status code and reason, and the server's message
   * unless {@code mayQuoteValues} (a Secret's validation error could quote what it holds).
   */
  public static String reason(KubernetesClientException e, boolean mayQuoteValues) {
    StringBuilder b = new StringBuilder();
    if (e.getCode() > 0) {
      b.append("HTTP ").append(e.getCode());
    }
    String reason = e.getStatus() == null ? null : e.getStatus().getReason();
    if (reason != null && !reason.isBlank()) {
      b.append(b.length() > 0 ? " " : "").append(reason);
    }
    if (!mayQuoteValues) {
      String message =
          e.getStatus() != null && e.getStatus().getMessage() != null
              ? e.getStatus().getMessage()
              : e.getCode() > 0 ? null : rootMessage(e);
      if (message != null && !message.isBlank()) {
        b.append(b.length() > 0 ? ": " : "").append(message.lines().findFirst().orElse(""));
      }
    }
    return b.length() == 0 ? "unknown error from the API server" : b.toString();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
