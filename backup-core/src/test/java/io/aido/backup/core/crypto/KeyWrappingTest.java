package io.aido.backup.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import io.aido.backup.core.storage.ObjectKey;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyWrappingTest {
  private static final String BINDING = "backup:manifests/20261124T020000Z-a1b2c3";
  private static final ObjectKey PART = ObjectKey.of("data/manifests/20261124T020000Z-a1b2c3/all");
  private static final String KMS_KEY =
      "gcp-kms://projects/p/locations/global/keyRings/backups/cryptoKeys/kek";
  private static final String OTHER_KMS_KEY =
      "gcp-kms://projects/p/locations/global/keyRings/backups/cryptoKeys/other";

  private static FakeCloudKms kms;

  @TempDir Path dir;
  private Path oldFile;
  private KeyEncryptionKey oldKek;
  private KeyEncryptionKey newKek;

  @BeforeAll
  static void startKms() {
    kms = new FakeCloudKms();
  }

  @AfterAll
  static void stopKms() {
    kms.close();
  }

  @BeforeEach
  void keys() throws Exception {
    kms.failWith(0);
    oldFile = dir.resolve("old.json");
    oldKek = KeyEncryptionKeys.generateKeysetFile(oldFile);
    newKek = KeyEncryptionKeys.generateKeysetFile(dir.resolve("new.json"));
  }

  @Test
  void unwrap_sameKek_decryptsWhatTheOriginalEncrypted() throws Exception {
    DataKey key = DataKey.generate();
    byte[] plaintext = DataKeyTest.randomBytes(10_000, 5);
    byte[] ciphertext = DataKeyTest.encrypt(key, plaintext, PART);

    WrappedDataKey wrapped = key.wrap(oldKek);
    DataKey unwrapped = DataKey.unwrap(wrapped, KeyEncryptionKeys.open(oldFile.toString()));

    assertThat(wrapped.kekId()).isEqualTo(oldKek.id());
    assertThat(wrapped.template()).isEqualTo("AES256_GCM_HKDF_1MB");
    assertThat(decrypt(unwrapped, ciphertext)).isEqualTo(plaintext);
  }

  @Test
  void unwrap_wrongKek_failsNamingBothIdsWithoutKeyMaterial() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(oldKek);

    assertThatThrownBy(() -> DataKey.unwrap(wrapped, newKek))
        .isInstanceOf(WrongKeyException.class)
        .hasMessage(
            "unable to unwrap the data key: it was wrapped by key-encryption key '"
                + oldKek.id()
                + "' and the configured key '"
                + newKek.id()
                + "' does not open it (wrong key, or the wrapped key was altered)")
        .message()
        .doesNotContain(wrapped.ciphertext())
        .doesNotContain(KeyEncryptionKeysTest.keyValue(Files.readString(oldFile)))
        .doesNotContain(KeyEncryptionKeysTest.keyValue(Files.readString(dir.resolve("new.json"))));
  }

  @Test
  void unwrap_tamperedWrappedKey_failsAsAltered() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(oldKek);
    byte[] bytes = Base64.getDecoder().decode(wrapped.ciphertext());
    bytes[bytes.length - 5] ^= 0x01;
    WrappedDataKey tampered =
        new WrappedDataKey(
            wrapped.kekId(), wrapped.template(), Base64.getEncoder().encodeToString(bytes));

    assertThatThrownBy(() -> DataKey.unwrap(tampered, oldKek))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining("'" + oldKek.id() + "'")
        .hasMessageContaining("the wrapped key was altered");
  }

  @Test
  void unwrap_notBase64_failsAsAltered() throws Exception {
    WrappedDataKey garbage = new WrappedDataKey(oldKek.id(), DataKey.TEMPLATE, "not base64 !!");

    assertThatThrownBy(() -> DataKey.unwrap(garbage, oldKek)).isInstanceOf(WrongKeyException.class);
  }

  @Test
  void unwrap_keysetRotatedKeepingOldKey_opensOldWrappedKeys() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(oldKek);
    KeysetHandle old =
        TinkJsonProtoKeysetFormat.parseKeyset(
            Files.readString(oldFile), InsecureSecretKeyAccess.get());
    KeysetHandle rotated =
        KeysetHandle.newBuilder(old)
            .addEntry(
                KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                    .withRandomId()
                    .makePrimary())
            .build();
    Path rotatedFile = dir.resolve("rotated.json");
    Files.writeString(
        rotatedFile,
        TinkJsonProtoKeysetFormat.serializeKeyset(rotated, InsecureSecretKeyAccess.get()));
    KeyEncryptionKey rotatedKek = KeyEncryptionKeys.open(rotatedFile.toString());

    assertThat(rotatedKek.id()).isNotEqualTo(oldKek.id());
    assertThat(DataKey.unwrap(wrapped, rotatedKek)).isNotNull();
  }

  @Test
  void rewrap_oldToNew_newKekOpensItAndDataStillDecrypts() throws Exception {
    DataKey key = DataKey.generate();
    byte[] plaintext = DataKeyTest.randomBytes(3000, 9);
    byte[] ciphertext = DataKeyTest.encrypt(key, plaintext, PART);
    WrappedDataKey stored = key.wrap(oldKek);

    WrappedDataKey moved = DataKey.rewrap(stored, oldKek, newKek, BINDING);

    assertThat(moved.kekId()).isEqualTo(newKek.id());
    assertThat(moved.boundTo()).isEqualTo(BINDING);
    assertThat(decrypt(DataKey.unwrap(moved, newKek, BINDING), ciphertext)).isEqualTo(plaintext);
    assertThatThrownBy(() -> DataKey.unwrap(moved, oldKek, BINDING))
        .isInstanceOf(WrongKeyException.class);
  }

  @Test
  void unwrap_boundKeyFoundElsewhere_failsAsMisplacedNamingBoth() throws Exception {
    WrappedDataKey bound = DataKey.generate().wrap(oldKek, BINDING);
    String elsewhere = "backup:manifests/20261125T020000Z-d4e5f6";

    assertThatThrownBy(() -> DataKey.unwrap(bound, oldKek, elsewhere))
        .isInstanceOf(WrongKeyException.class)
        .hasMessage(
            "unable to unwrap the data key of "
                + elsewhere
                + ": the stored wrapped key belongs to "
                + BINDING
                + " (copied or swapped between records: tampered); nothing was decrypted")
        .matches(e -> ((WrongKeyException) e).misplaced());
  }

  @Test
  void wrap_kms_recordsTheVersionThatEncrypted() throws Exception {
    KeyEncryptionKey kmsKek = kms.open(KMS_KEY);

    WrappedDataKey wrapped = DataKey.generate().wrap(kmsKek, BINDING);

    assertThat(wrapped.kekVersion()).isEqualTo(kmsKek.primaryVersion());
    assertThat(kmsKek.isCurrent(wrapped)).isTrue();
    assertThat(kmsKek.isCurrent(DataKey.generate().wrap(oldKek))).isFalse();
  }

  @Test
  void rewrap_fromKekThatDidNotWrapIt_failsWithWrongKey() throws Exception {
    WrappedDataKey stored = DataKey.generate().wrap(oldKek);

    assertThatThrownBy(() -> DataKey.rewrap(stored, newKek, newKek, BINDING))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining(oldKek.id())
        .hasMessageContaining(newKek.id());
  }

  @Test
  void rewrap_keysetFileToKms_kmsKeyOpensIt() throws Exception {
    DataKey key = DataKey.generate();
    byte[] plaintext = DataKeyTest.randomBytes(3000, 11);
    byte[] ciphertext = DataKeyTest.encrypt(key, plaintext, PART);
    KeyEncryptionKey kmsKek = kms.open(KMS_KEY);

    WrappedDataKey moved = DataKey.rewrap(key.wrap(oldKek), oldKek, kmsKek, BINDING);

    assertThat(moved.kekId()).isEqualTo(KMS_KEY);
    assertThat(kmsKek.remote()).isTrue();
    assertThat(decrypt(DataKey.unwrap(moved, kms.open(KMS_KEY)), ciphertext)).isEqualTo(plaintext);
  }

  @Test
  void unwrap_otherKmsKey_failsWithWrongKey() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(kms.open(KMS_KEY));

    assertThatThrownBy(() -> DataKey.unwrap(wrapped, kms.open(OTHER_KMS_KEY)))
        .isInstanceOf(WrongKeyException.class)
        .hasMessageContaining(KMS_KEY)
        .hasMessageContaining(OTHER_KMS_KEY);
  }

  @Test
  void unwrap_kmsUnavailable_failsAsUnavailableNotWrongKey() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(kms.open(KMS_KEY));
    kms.failWith(503);

    assertThatThrownBy(() -> DataKey.unwrap(wrapped, kms.open(KMS_KEY)))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageStartingWith(
            "unable to unwrap the data key with key-encryption key '" + KMS_KEY + "': ")
        .hasMessageEndingWith("': Cloud KMS answered HTTP 503: injected failure");
  }

  @Test
  void unwrap_kmsPermissionDenied_failsAsUnavailableNotWrongKey() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(kms.open(KMS_KEY));
    kms.failWith(403);

    assertThatThrownBy(() -> DataKey.unwrap(wrapped, kms.open(KMS_KEY)))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageEndingWith("': Cloud KMS answered HTTP 403: injected failure");
  }

  @Test
  void unwrap_kmsUnreachable_failsAsUnavailableNotWrongKey() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(kms.open(KMS_KEY));
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    KeyEncryptionKey unreachable =
        KmsKeys.open(KMS_KEY, FakeCloudKms.client("http://localhost:" + closedPort + "/"));

    assertThatThrownBy(() -> DataKey.unwrap(wrapped, unreachable))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageEndingWith("': ConnectException: Connection refused");
  }

  @Test
  void unwrap_tamperedKmsWrappedKey_failsAsAlteredNotUnavailable() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(kms.open(KMS_KEY));
    WrappedDataKey tampered =
        new WrappedDataKey(
            wrapped.kekId(),
            wrapped.template(),
            Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, 0x01, 0x02}));

    assertThatThrownBy(() -> DataKey.unwrap(tampered, kms.open(KMS_KEY)))
        .isInstanceOf(WrongKeyException.class);
  }

  @Test
  void wrap_kmsUnavailable_failsNamingKey() throws Exception {
    KeyEncryptionKey kek = kms.open(KMS_KEY);
    kms.failWith(503);

    assertThatThrownBy(() -> DataKey.generate().wrap(kek))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageStartingWith(
            "unable to wrap the data key with key-encryption key '" + KMS_KEY + "': ");
  }

  @Test
  void toString_wrappedDataKey_showsIdAndTemplateButNoCiphertext() throws Exception {
    WrappedDataKey wrapped = DataKey.generate().wrap(oldKek);

    assertThat(wrapped.toString())
        .isEqualTo(
            "WrappedDataKey[kekId="
                + oldKek.id()
                + ", template=AES256_GCM_HKDF_1MB, ciphertext=*** ("
                + wrapped.ciphertext().length()
                + " base64 chars)]")
        .doesNotContain(wrapped.ciphertext());
  }

  @Test
  void toString_kmsKey_printsOnlyUri() throws Exception {
    assertThat(kms.open(KMS_KEY).toString()).isEqualTo("KeyEncryptionKey[" + KMS_KEY + "]");
  }

  private static byte[] decrypt(DataKey key, byte[] ciphertext) throws Exception {
    DataKeyTest.Outcome outcome =
        DataKeyTest.readAll(key.decrypting(new ByteArrayInputStream(ciphertext), PART));
    assertThat(outcome.failure()).isNull();
    return outcome.bytes();
  }
}
