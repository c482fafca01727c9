package io.aido.backup.retention;

/** Entry point of job-retention. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("job-retention");
  }
}
