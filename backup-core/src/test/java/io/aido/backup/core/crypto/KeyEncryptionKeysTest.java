package io.aido.backup.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.mac.MacConfig;
import com.google.crypto.tink.mac.PredefinedMacParameters;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import io.aido.backup.core.crypto.internal.TinkRegistration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyEncryptionKeysTest {
  private static final Pattern KEY_VALUE = Pattern.compile("\"value\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern PRIMARY_ID = Pattern.compile("\"primaryKeyId\"\\s*:\\s*(\\d+)");

  @TempDir Path dir;

  @Test
  void generateKeysetFile_newFile_writesOwnerOnlyKeysetThatOpens() throws Exception {
    Path file = dir.resolve("secrets/kek.json");

    KeyEncryptionKey generated = KeyEncryptionKeys.generateKeysetFile(file);
    KeyEncryptionKey opened = KeyEncryptionKeys.open(file.toString());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    String json = Files.readString(file);
    Matcher primary = PRIMARY_ID.matcher(json);
    assertThat(primary.find()).isTrue();
    assertThat(opened.id()).isEqualTo("tink-keyset:" + primary.group(1));
    assertThat(generated.id()).isEqualTo(opened.id());
    assertThat(opened.remote()).isFalse();
    WrappedDataKey wrapped = DataKey.generate().wrap(generated);
    assertThat(DataKey.unwrap(wrapped, opened)).isNotNull();
  }

  @Test
  void generateKeysetFile_existingFile_failsAndKeepsOriginal() throws Exception {
    Path file = dir.resolve("kek.json");
    KeyEncryptionKeys.generateKeysetFile(file);
    byte[] original = Files.readAllBytes(file);

    assertThatThrownBy(() -> KeyEncryptionKeys.generateKeysetFile(file))
        .isInstanceOf(FileAlreadyExistsException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("already exists");
    assertThat(Files.readAllBytes(file)).isEqualTo(original);
  }

  @Test
  void open_fileUri_opensSameKeyAsPath() throws Exception {
    Path file = dir.resolve("kek.json");
    KeyEncryptionKey generated = KeyEncryptionKeys.generateKeysetFile(file);

    assertThat(KeyEncryptionKeys.open(file.toUri().toString()).id()).isEqualTo(generated.id());
  }

  @Test
  void open_missingFile_failsNamingFileAsMissing() {
    Path file = dir.resolve("nope.json");

    assertThatThrownBy(() -> KeyEncryptionKeys.open(file.toString()))
        .isInstanceOf(IOException.class)
        .hasMessage("unable to open missing keyset file '" + file + "' for read")
        .hasCauseInstanceOf(NoSuchFileException.class);
  }

  @Test
  void open_directory_failsNamingFile() {
    assertThatThrownBy(() -> KeyEncryptionKeys.open(dir.toString()))
        .isInstanceOf(IOException.class)
        .hasMessage("unable to read keyset file '" + dir + "': it is a directory");
  }

  @Test
  void open_pathThroughARegularFile_failsNamingFile() throws Exception {
    Path notADirectory = dir.resolve("plain");
    Files.writeString(notADirectory, "x");
    Path file = notADirectory.resolve("kek.json");

    assertThatThrownBy(() -> KeyEncryptionKeys.open(file.toString()))
        .isInstanceOf(IOException.class)
        .hasMessage("unable to read keyset file '" + file + "': Not a directory");
  }

  @Test
  void open_unreadableFile_failsNamingFile() throws Exception {
    Path file = dir.resolve("kek.json");
    KeyEncryptionKeys.generateKeysetFile(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
    Assumptions.assumeFalse(
        Files.isReadable(file), "running as root: a mode-000 file is still readable");

    assertThatThrownBy(() -> KeyEncryptionKeys.open(file.toString()))
        .isInstanceOf(IOException.class)
        .hasMessage("unable to read keyset file '" + file + "': permission denied");
  }

  @Test
  void open_notAKeyset_failsNamingFileWithoutQuotingIt() throws Exception {
    Path file = dir.resolve("kek.json");
    String content = "{\"password\": \"hunter2-secret\"}";
    Files.writeString(file, content);

    assertThatThrownBy(() -> KeyEncryptionKeys.open(file.toString()))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("unable to use keyset file '" + file + "': not a cleartext Tink JSON keyset")
        .hasNoCause()
        .message()
        .doesNotContain("hunter2");
  }

  @Test
  void open_binaryGarbage_failsNamingFile() throws Exception {
    Path file = dir.resolve("kek.json");
    Files.write(file, DataKeyTest.randomBytes(300, 1));

    assertThatThrownBy(() -> KeyEncryptionKeys.open(file.toString()))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage("unable to use keyset file '" + file + "': not a cleartext Tink JSON keyset");
  }

  @Test
  void open_hugeFile_failsWithoutReadingItAll() throws Exception {
    Path file = dir.resolve("kek.json");
    Files.write(file, new byte[1024 * 1024]);

    assertThatThrownBy(() -> KeyEncryptionKeys.open(file.toString()))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "unable to read keyset file '" + file + "': larger than 65536 bytes, so not a keyset");
  }

  @Test
  void open_streamingAeadKeyset_failsNamingFileAndKeyTypeWithoutKeyMaterial() throws Exception {
    TinkRegistration.register();
    Path file =
        writeKeyset(
            KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB));

    assertWrongPrimitive(file, "AesGcmHkdfStreamingKey");
  }

  @Test
  void open_macKeyset_failsNamingFileAndKeyTypeWithoutKeyMaterial() throws Exception {
    MacConfig.register();
    Path file =
        writeKeyset(KeysetHandle.generateNew(PredefinedMacParameters.HMAC_SHA256_256BITTAG));

    assertWrongPrimitive(file, "HmacKey");
  }

  @Test
  void open_malformedKmsUri_failsNamingUriAndExpectedShape() {
    String uri = "gcp-kms://projects/p/keyRings/r";

    assertThatThrownBy(() -> KeyEncryptionKeys.open(uri))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage(
            "unable to open key-encryption key '"
                + uri
                + "': not a Cloud KMS key name (expected"
                + " gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K)");
  }

  @Test
  void open_kmsWithoutCredentials_failsFastNamingUri() {
    String uri = "gcp-kms://projects/p/locations/global/keyRings/r/cryptoKeys/k";
    long start = System.nanoTime();
    KeyEncryptionKey opened;
    try {
      opened = KeyEncryptionKeys.open(uri);
    } catch (GeneralSecurityException | IOException e) {
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(e)
          .isInstanceOf(GeneralSecurityException.class)
          .hasMessage(
              "unable to open key-encryption key '"
                  + uri
                  + "': no Google Cloud application default credentials found (set"
                  + " GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run with"
                  + " Workload Identity)");
      assertThat(took).isLessThan(Duration.ofSeconds(15));
      return;
    }
    Assumptions.abort(
        "application default credentials exist on this machine, so the missing-credentials path"
            + " cannot run; opened "
            + opened);
  }

  @Test
  void open_blankUri_failsSayingWhatIsExpected() {
    assertThatThrownBy(() -> KeyEncryptionKeys.open(" "))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("no key URI given");
  }

  @Test
  void toString_keyEncryptionKey_printsOnlyId() throws Exception {
    Path file = dir.resolve("kek.json");
    KeyEncryptionKey kek = KeyEncryptionKeys.generateKeysetFile(file);

    assertThat(kek.toString()).isEqualTo("KeyEncryptionKey[" + kek.id() + "]");
    assertThat(kek.toString()).doesNotContain(keyValue(Files.readString(file)));
  }

  private void assertWrongPrimitive(Path file, String keyType) throws IOException {
    String secret = keyValue(Files.readString(file));

    assertThatThrownBy(() -> KeyEncryptionKeys.open(file.toString()))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessage(
            "unable to use keyset file '"
                + file
                + "': its primary key is a "
                + keyType
                + ", not an AEAD key such as AES256_GCM (generate one with the keyset command)")
        .message()
        .doesNotContain(secret);
  }

  private Path writeKeyset(KeysetHandle handle) throws Exception {
    Path file = dir.resolve("other.json");
    Files.writeString(
        file,
        TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()),
        StandardCharsets.UTF_8);
    return file;
  }

  static String keyValue(String json) {
    Matcher m = KEY_VALUE.matcher(json);
    assertThat(m.find()).as("keyset JSON has a key value").isTrue();
    return m.group(1);
  }

  @Test
  void rotateKeysetFile_concurrentRotations_keepEveryKey() throws Exception {
    Path file = dir.resolve("rotated.json");
    KeyEncryptionKey first = KeyEncryptionKeys.generateKeysetFile(file);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<KeysetRotation>> runs = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        runs.add(pool.submit(() -> KeyEncryptionKeys.rotateKeysetFile(file)));
      }
      for (var run : runs) {
        run.get();
      }
    } finally {
      pool.shutdownNow();
    }

    KeysetRotation last = KeyEncryptionKeys.rotateKeysetFile(file);

    assertThat(last.keyIds()).hasSize(8).startsWith(first.id()).endsWith(last.key().id());
    assertThat(last.keyIds()).doesNotHaveDuplicates();
  }

  @Test
  void rotateKeysetFile_notAKeyset_failsAndLeavesTheFile() throws Exception {
    Path file = dir.resolve("broken.json");
    Files.writeString(file, "{}");

    assertThatThrownBy(() -> KeyEncryptionKeys.rotateKeysetFile(file))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("'" + file + "'");
    assertThat(Files.readString(file)).isEqualTo("{}");
  }
}
