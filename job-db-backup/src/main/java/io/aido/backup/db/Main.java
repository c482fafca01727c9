package io.aido.backup.db;

/** Entry point of job-db-backup. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("job-db-backup");
  }
}
