package io.aido.backup.db;

import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.cli.JobMainContract;

class MainTest extends JobMainContract {

  @Override
  protected JobMain newMain() {
    return new Main();
  }

  @Override
  protected String jobName() {
    return "db-backup";
  }
}
