package io.aido.backup.core.crypto;

import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Measures raw {@link DataKey} encrypt and decrypt throughput on one file, side by side with {@code
 * openssl enc -aes-256-ctr} on the same bytes. A benchmark, not a test: run it by hand.
 *
 * <pre>
 * java -Xmx64m -cp TEST_CLASSPATH io.aido.backup.core.crypto.CryptoThroughput [--cold-jce] DIR [MiB] [runs]
 * </pre>
 *
 * <p>With {@code --cold-jce} it measures only the JDK's own AES-GCM in a JVM where no data key
 * exists, to show what a data key's GCM warm-up saves on the first pass.
 *
 * <p>Uses {@code DIR/plain.bin} (created with MiB of random bytes, default 1024, if missing) and
 * writes {@code DIR/plain.bin.tink}. Each measurement reports its first pass separately (for the
 * data key, a fresh JVM) and then the median and best of the following runs. Encryption reads the
 * file and discards the ciphertext; decryption reads the ciphertext file and discards the
 * plaintext; openssl writes to /dev/null likewise. The files are read once before timing so every
 * run reads from the page cache.
 */
public final class CryptoThroughput {
  private static final int BUFFER = 1 << 20;
  private static final ObjectKey NAME = ObjectKey.of("data/bench/throughput/part-0");

  private CryptoThroughput() {}

  public static void main(String[] args) throws Exception {
    boolean coldJce = args.length > 0 && args[0].equals("--cold-jce");
    if (coldJce) {
      args = Arrays.copyOfRange(args, 1, args.length);
    }
    if (args.length < 1) {
      System.err.println("usage: CryptoThroughput [--cold-jce] DIR [MiB] [runs]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    long mib = args.length > 1 ? Long.parseLong(args[1]) : 1024;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Files.createDirectories(dir);
    Path plain = dir.resolve("plain.bin");
    Path cipher = dir.resolve("plain.bin.tink");
    if (!Files.exists(plain) || Files.size(plain) != mib << 20) {
      writeRandom(plain, mib << 20);
    }
    long size = Files.size(plain);
    drain(Files.newInputStream(plain));
    System.out.printf(
        Locale.ROOT,
        "input %s: %d MiB, first pass then %d runs each, java %s, max heap %d MiB%n",
        plain,
        size >> 20,
        runs,
        System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20);
    if (coldJce) {
      // No DataKey exists in this JVM, so nothing has warmed up the GCM code.
      report("JCE AES-GCM, 1 MiB per doFinal", size, runs, () -> jceGcm(plain));
      return;
    }
    DataKey key = DataKey.generate();
    report("tink encrypt (DataKey.encrypting)", size, runs, () -> encrypt(key, plain));
    try (InputStream in = Files.newInputStream(plain);
        OutputStream out = key.encrypting(Files.newOutputStream(cipher), NAME)) {
      in.transferTo(out);
    }
    drain(Files.newInputStream(cipher));
    byte[] aesKey = new byte[32];
    byte[] iv = new byte[16];
    new SecureRandom().nextBytes(aesKey);
    new SecureRandom().nextBytes(iv);
    List<String> openssl =
        List.of(
            "openssl",
            "enc",
            "-aes-256-ctr",
            "-K",
            HexFormat.of().formatHex(aesKey),
            "-iv",
            HexFormat.of().formatHex(iv),
            "-in",
            plain.toString(),
            "-out",
            "/dev/null");
    List<String> opensslDecrypt = new ArrayList<>(openssl);
    opensslDecrypt.add(2, "-d");

    report(
        "tink decrypt (DataKey.decrypting)",
        size,
        runs,
        () -> drain(key.decrypting(Files.newInputStream(cipher), NAME)));
    report("JCE AES-GCM, 1 MiB per doFinal", size, runs, () -> jceGcm(plain));
    report("openssl enc -aes-256-ctr", size, runs, () -> run(openssl));
    report("openssl enc -d -aes-256-ctr", size, runs, () -> run(opensslDecrypt));
    System.out.println(
        "openssl command: "
            + String.join(" ", openssl).replaceAll("-K \\S+ -iv \\S+", "-K <64 hex> -iv <32 hex>"));
  }

  /** One timed run; returns the CPU nanoseconds spent outside this thread (a child process). */
  private interface Run {
    long run() throws Exception;
  }

  /**
   * Prints wall-clock and CPU throughput. CPU throughput (bytes per second of user+system time of
   * the thread or process doing the work) is the steadier figure on a shared machine.
   */
  private static void report(String label, long bytes, int runs, Run body) throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double mib = bytes / (1024.0 * 1024.0);
    double[] wall = new double[runs + 1];
    double[] cpu = new double[runs + 1];
    for (int i = 0; i <= runs; i++) {
      long cpuStart = threads.getCurrentThreadCpuTime();
      long start = System.nanoTime();
      long childCpu = body.run();
      wall[i] = mib / ((System.nanoTime() - start) / 1e9);
      cpu[i] = mib / ((threads.getCurrentThreadCpuTime() - cpuStart + childCpu) / 1e9);
    }
    double firstWall = wall[0];
    double firstCpu = cpu[0];
    Arrays.sort(wall, 1, runs + 1);
    Arrays.sort(cpu, 1, runs + 1);
    System.out.printf(
        Locale.ROOT,
        "%-34s MiB/s wall: first %5.0f, then median %5.0f best %5.0f | per CPU-second: first"
            + " %5.0f, then median %5.0f best %5.0f%n",
        label,
        firstWall,
        wall[1 + runs / 2],
        wall[runs],
        firstCpu,
        cpu[1 + runs / 2],
        cpu[runs]);
  }

  private static long encrypt(DataKey key, Path plain) throws IOException {
    try (InputStream in = Files.newInputStream(plain);
        OutputStream out = key.encrypting(OutputStream.nullOutputStream(), NAME)) {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) != -1) {
        out.write(buffer, 0, n);
      }
    }
    return 0;
  }

  /** The JDK's AES-GCM alone, called the way Tink calls it: one heap-buffer doFinal per MiB. */
  private static long jceGcm(Path plain) throws Exception {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    SecretKeySpec aesKey = new SecretKeySpec(new byte[32], "AES");
    byte[] nonce = new byte[12];
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    ByteBuffer output = ByteBuffer.allocate(BUFFER + 16);
    long counter = 0;
    try (InputStream in = Files.newInputStream(plain)) {
      int n;
      while ((n = in.readNBytes(buffer.array(), 0, BUFFER)) > 0) {
        ByteBuffer.wrap(nonce).putLong(4, counter++);
        cipher.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(128, nonce));
        buffer.clear().limit(n);
        output.clear();
        cipher.doFinal(buffer, output);
      }
    }
    return 0;
  }

  private static long drain(InputStream stream) throws IOException {
    try (InputStream in = stream) {
      byte[] buffer = new byte[BUFFER];
      while (in.read(buffer) != -1) {
        // discard: only the time to produce the bytes counts
      }
    }
    return 0;
  }

  /** Runs {@code command} under bash's {@code time}; returns its user+system CPU nanoseconds. */
  private static long run(List<String> command) throws Exception {
    List<String> timed =
        new ArrayList<>(List.of("bash", "-c", "TIMEFORMAT='%3U %3S'; time \"$@\"", "bash"));
    timed.addAll(command);
    Process process = new ProcessBuilder(timed).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
    if (process.waitFor() != 0) {
      throw new IOException("openssl failed with exit code " + process.exitValue() + ": " + output);
    }
    String[] lines = output.split("\\R");
    String[] times = lines[lines.length - 1].trim().split("\\s+");
    return (long) ((Double.parseDouble(times[0]) + Double.parseDouble(times[1])) * 1e9);
  }

  private static void writeRandom(Path file, long bytes) throws IOException {
    SplittableRandom random = new SplittableRandom(42);
    byte[] buffer = new byte[BUFFER];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < bytes; written += buffer.length) {
        for (int i = 0; i < buffer.length; i += 8) {
          long v = random.nextLong();
          for (int j = 0; j < 8; j++) {
            buffer[i + j] = (byte) (v >>> (8 * j));
          }
        }
        out.write(buffer, 0, (int) Math.min(buffer.length, bytes - written));
      }
    }
  }
}
