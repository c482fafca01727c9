package io.aido.backup.verify;

/** Entry point of job-verify. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("job-verify");
  }
}
