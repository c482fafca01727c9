package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tar scanner against archives made by the system's tar, read in uneven chunks. */
class TarScannerTest {
  @TempDir Path dir;

  private byte[] tar(Path root, String... members) throws Exception {
    Path out = dir.resolve("out.tar");
    String[] cmd = new String[members.length + 6];
    cmd[0] = "tar";
    cmd[1] = "--format=ustar";
    cmd[2] = "-cf";
    cmd[3] = out.toString();
    cmd[4] = "-C";
    cmd[5] = root.toString();
    System.arraycopy(members, 0, cmd, 6, members.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(msg).isZero();
    return Files.readAllBytes(out);
  }

  private static byte[] readUnevenly(InputStream in, long seed) throws Exception {
    Random r = new Random(seed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    while (true) {
      int n = in.read(buf, 0, 1 + r.nextInt(buf.length));
      if (n < 0) {
        return out.toByteArray();
      }
      out.write(buf, 0, n);
    }
  }

  @Test
  void scan_baseBackupTar_keepsLabelAndManifestEnd_passesBytesUnchanged() throws Exception {
    Path root = dir.resolve("root");
    Files.createDirectories(root.resolve("base/1"));
    byte[] noise = new byte[300_001];
    new Random(1).nextBytes(noise);
    Files.write(root.resolve("base/1/1259"), noise);
    String label =
        "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTART TIMELINE: 1\n";
    Files.writeString(root.resolve("backup_label"), label);
    StringBuilder manifest = new StringBuilder("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n");
    for (int i = 0; i < 3000; i++) {
      manifest.append("{ \"Path\": \"base/1/").append(i).append("\", \"Size\": 8192 },\n");
    }
    manifest.append(
        "\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\":"
            + " \"0/2000100\" }\n],\n\"Manifest-Checksum\": \"abc123\"}\n");
    Files.writeString(root.resolve("backup_manifest"), manifest);
    byte[] tar = tar(root, "backup_label", "base", "backup_manifest");

    TarScanner scanner = new TarScanner(new ByteArrayInputStream(tar));
    assertThat(readUnevenly(scanner, 7)).isEqualTo(tar);
    assertThat(scanner.backupLabel()).isEqualTo(label);
    assertThat(manifest.length()).isGreaterThan(64 * 1024);
    assertThat(scanner.manifestTail())
        .hasSize(64 * 1024)
        .endsWith("\"Manifest-Checksum\": \"abc123\"}\n")
        .contains("\"End-LSN\": \"0/2000100\"");
  }

  @Test
  void scan_tarWithoutLabel_reportsNone() throws Exception {
    Path root = dir.resolve("root");
    Files.createDirectories(root);
    Files.writeString(root.resolve("PG_VERSION"), "15\n");
    TarScanner scanner = new TarScanner(new ByteArrayInputStream(tar(root, "PG_VERSION")));
    readUnevenly(scanner, 3);
    assertThat(scanner.backupLabel()).isNull();
    assertThat(scanner.manifestTail()).isNull();
  }
}
