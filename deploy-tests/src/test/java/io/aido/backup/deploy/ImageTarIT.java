package io.aido.backup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unpacks each job's image tar ({@code <module>/target/jib-image.tar}, built by {@code
 * scripts/test.sh} with {@code jib:buildTar -Dimage.base=scratch}) and checks what a cluster would
 * run: the entrypoint starts the job's Main, the user is 65532, the default command is the job's
 * scheduled action, and the class path inside the image runs {@code --help} (and refuses an unknown
 * command with exit 2) on this machine's Java, with the image's own JVM flags.
 */
class ImageTarIT {
  private static final Map<String, String> MAIN_CLASSES =
      Map.of(
          "job-db-backup", "io.aido.backup.db.Main",
          "job-dapr-snapshot", "io.aido.backup.dapr.Main",
          "job-manifest-export", "io.aido.backup.manifests.Main",
          "job-verify", "io.aido.backup.verify.Main",
          "job-retention", "io.aido.backup.retention.Main");

  @TempDir Path unpacked;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "job-db-backup",
        "job-dapr-snapshot",
        "job-manifest-export",
        "job-verify",
        "job-retention"
      })
  void imageTar_entrypointUserAndClassPathRun(String module) throws Exception {
    Path tar = Project.root().resolve(module).resolve("target/jib-image.tar");
    assertThat(tar)
        .as(
            "the image tar of "
                + module
                + ": build it with scripts/test.sh"
                + " (mvn verify jib:buildTar -Dimage.base=scratch)")
        .isRegularFile();
    Map<String, byte[]> small = new HashMap<>();
    List<String> layers = new ArrayList<>();
    Path layerDir = Files.createDirectories(unpacked.resolve("layers"));
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tar)))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.getName().endsWith(".json")) {
          small.put(e.getName(), in.readAllBytes());
        } else if (e.isFile()) {
          Path layer = layerDir.resolve(Path.of(e.getName()).getFileName().toString());
          Files.copy(in, layer);
          layers.add(e.getName());
        }
      }
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(small.get("manifest.json")).get(0);
    JsonNode config = json.readTree(small.get(manifest.path("Config").asText())).path("config");
    assertThat(config.path("User").asText()).isEqualTo("65532:65532");
    List<String> entrypoint = strings(config.path("Entrypoint"));
    assertThat(entrypoint).first().isEqualTo("java");
    assertThat(entrypoint).last().isEqualTo(MAIN_CLASSES.get(module));
    int cp = entrypoint.indexOf("-cp");
    assertThat(cp).as("entrypoint has -cp").isPositive();
    assertThat(entrypoint.get(cp + 1)).isEqualTo("@/app/jib-classpath-file");
    assertThat(strings(config.path("Cmd")))
        .containsExactly(JobCommandLines.DEFAULT_COMMANDS.get(module));
    Path root = Files.createDirectories(unpacked.resolve("root"));
    List<String> manifestLayers = strings(manifest.path("Layers"));
    assertThat(manifestLayers).hasSameSizeAs(layers).isNotEmpty();
    for (String layer : manifestLayers) {
      unpackLayer(layerDir.resolve(Path.of(layer).getFileName().toString()), root);
    }

    Path classpathFile = root.resolve("app/jib-classpath-file");
    assertThat(classpathFile).isRegularFile();
    String classpath =
        Files.readString(classpathFile).strip().replace("/app/", root.resolve("app") + "/");
    for (String entry : classpath.split(":")) {
      assertThat(Path.of(entry)).as("class path entry inside the image").exists();
    }
    Path argFile = Files.writeString(unpacked.resolve("classpath.arg"), classpath);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(entrypoint.subList(1, cp));
    command.add("-cp");
    command.add("@" + argFile);
    command.add(MAIN_CLASSES.get(module));
    String jobName = JobCommandLines.commandLine(module).getCommandName();

    Run help = run(command, "--help");
    assertThat(help.exit()).as(help.output()).isZero();
    assertThat(help.output()).contains("Usage: " + jobName).contains("Exit codes:");

    String defaultCommand = JobCommandLines.DEFAULT_COMMANDS.get(module);
    if (!JobCommandLines.PENDING_COMMANDS.contains(module + " " + defaultCommand)) {
      Run commandHelp = run(command, defaultCommand, "--help");
      assertThat(commandHelp.exit()).as(commandHelp.output()).isZero();
      assertThat(commandHelp.output()).contains("Usage: " + jobName + " " + defaultCommand);
    }

    Run unknown = run(command, "no-such-command");
    assertThat(unknown.exit()).as(unknown.output()).isEqualTo(2);
    assertThat(unknown.output()).contains("unknown command");
  }

  private record Run(int exit, String output) {}

  private Run run(List<String> command, String... args) throws Exception {
    List<String> full = new ArrayList<>(command);
    full.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
    pb.environment().put("BACKUP_LOG_FORMAT", "json");
    pb.environment().put("TMPDIR", unpacked.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finished in 60 s").isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static void unpackLayer(Path layer, Path root) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(layer));
        TarArchiveInputStream in = new TarArchiveInputStream(gunzipIfNeeded(raw))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        Path target = root.resolve(e.getName()).normalize();
        assertThat(target.startsWith(root)).as("layer entry " + e.getName()).isTrue();
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else if (e.isFile()) {
          Files.createDirectories(target.getParent());
          Files.copy(in, target);
        }
      }
    }
  }

  private static InputStream gunzipIfNeeded(InputStream in) throws IOException {
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    return b1 == 0x1f && b2 == 0x8b ? new GzipCompressorInputStream(in) : in;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
