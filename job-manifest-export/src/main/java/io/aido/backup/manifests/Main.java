package io.aido.backup.manifests;

/** Entry point of job-manifest-export. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("job-manifest-export");
  }
}
