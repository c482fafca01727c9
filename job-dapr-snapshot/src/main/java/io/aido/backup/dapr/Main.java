package io.aido.backup.dapr;

/** Entry point of job-dapr-snapshot. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("job-dapr-snapshot");
  }
}
