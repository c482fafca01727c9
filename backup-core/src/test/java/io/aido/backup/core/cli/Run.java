package io.aido.backup.core.cli;

import io.aido.backup.core.config.Environment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;

/** One captured run of a job: exit code, stdout and stderr. */
record Run(int code, String out, String err) {

  static Run of(JobMain job, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = job.execute(new JobContext(Environment.of(env), o, e, Clock.systemUTC()), args);
    }
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  String all() {
    return out + err;
  }
}
