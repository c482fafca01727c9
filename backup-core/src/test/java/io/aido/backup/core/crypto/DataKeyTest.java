package io.aido.backup.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.storage.ObjectKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DataKeyTest {
  private static final ObjectKey PART =
      ObjectKey.of("data/db-logical/20261124T020000Z-a1b2c3/part-0");

  /** Two and a half 1 MiB segments, so there are whole segments before and after every cut. */
  private static final byte[] PLAINTEXT = randomBytes(2 * 1024 * 1024 + 512 * 1024 + 123, 7);

  private static final int SEGMENT = 1024 * 1024;

  private static DataKey key;
  private static byte[] ciphertext;

  @BeforeAll
  static void encryptOnce() throws Exception {
    key = DataKey.generate();
    ciphertext = encrypt(key, PLAINTEXT, PART);
  }

  @Test
  void decrypting_untouchedObject_returnsPlaintext() throws Exception {
    Outcome outcome = readAll(key.decrypting(new ByteArrayInputStream(ciphertext), PART));

    assertThat(outcome.failure()).isNull();
    assertThat(outcome.bytes()).isEqualTo(PLAINTEXT);
    assertThat(ciphertext.length).isGreaterThan(PLAINTEXT.length);
  }

  @Test
  void decrypting_singleByteReads_returnsPlaintext() throws Exception {
    byte[] small = randomBytes(5000, 3);
    InputStream in = key.decrypting(new ByteArrayInputStream(encrypt(key, small, PART)), PART);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      out.write(b);
    }

    assertThat(out.toByteArray()).isEqualTo(small);
  }

  @Test
  void decrypting_emptyPlaintext_returnsCleanEndOfStream() throws Exception {
    byte[] encrypted = encrypt(key, new byte[0], PART);

    Outcome outcome = readAll(key.decrypting(new ByteArrayInputStream(encrypted), PART));

    assertThat(encrypted).isNotEmpty();
    assertThat(outcome.failure()).isNull();
    assertThat(outcome.bytes()).isEmpty();
  }

  @Test
  void decrypting_emptyObject_failsNamingObject() throws Exception {
    assertAuthenticationFails(new byte[0], PART, key, 0);
  }

  @Test
  void decrypting_truncatedAtSecondSegmentBoundary_releasesFirstSegmentThenFails()
      throws Exception {
    Outcome outcome =
        assertAuthenticationFails(Arrays.copyOf(ciphertext, 2 * SEGMENT), PART, key, -1);

    assertThat(outcome.bytes().length).isGreaterThan(0);
  }

  @Test
  void decrypting_truncatedAtFirstSegmentBoundary_failsAtByteZero() throws Exception {
    assertAuthenticationFails(Arrays.copyOf(ciphertext, SEGMENT), PART, key, 0);
  }

  @Test
  void decrypting_truncatedMidSegment_fails() throws Exception {
    assertAuthenticationFails(Arrays.copyOf(ciphertext, SEGMENT + SEGMENT / 2), PART, key, -1);
  }

  @Test
  void decrypting_lastByteCut_fails() throws Exception {
    assertAuthenticationFails(Arrays.copyOf(ciphertext, ciphertext.length - 1), PART, key, -1);
  }

  @Test
  void decrypting_onlyHeader_failsAtByteZero() throws Exception {
    assertAuthenticationFails(Arrays.copyOf(ciphertext, 40), PART, key, 0);
  }

  @Test
  void decrypting_byteAppended_fails() throws Exception {
    assertAuthenticationFails(Arrays.copyOf(ciphertext, ciphertext.length + 1), PART, key, -1);
  }

  @Test
  void decrypting_flippedByteInTheMiddle_releasesOnlyAuthenticatedSegmentsThenFails()
      throws Exception {
    byte[] tampered = ciphertext.clone();
    tampered[tampered.length / 2] ^= 0x01;

    Outcome outcome = assertAuthenticationFails(tampered, PART, key, -1);

    assertThat(outcome.bytes().length).isLessThan(tampered.length / 2);
  }

  @Test
  void decrypting_flippedByteInHeader_failsAtByteZero() throws Exception {
    byte[] tampered = ciphertext.clone();
    tampered[5] ^= 0x40;

    assertAuthenticationFails(tampered, PART, key, 0);
  }

  @Test
  void decrypting_objectCopiedUnderAnotherName_failsNamingTheNewName() throws Exception {
    ObjectKey other = ObjectKey.of("data/db-logical/20261124T020000Z-a1b2c3/part-1");

    assertAuthenticationFails(ciphertext, other, key, 0);
  }

  @Test
  void decrypting_anotherBackupsDataKey_failsAtByteZero() throws Exception {
    assertAuthenticationFails(ciphertext, PART, DataKey.generate(), 0);
  }

  @Test
  void decrypting_storageFailsDuringFirstSegment_propagatesStorageExceptionItself()
      throws Exception {
    IOException storage = new IOException("connection reset by peer");
    InputStream in = key.decrypting(new FailingStream(ciphertext, 100, storage), PART);

    Outcome outcome = readAll(in);

    assertThat(outcome.failure()).isSameAs(storage);
    assertThat(outcome.bytes()).isEmpty();
    assertThatThrownBy(in::read).isSameAs(storage);
  }

  @Test
  void decrypting_storageFailsInLaterSegment_propagatesStorageExceptionAfterGoodPrefix()
      throws Exception {
    IOException storage = new IOException("connection reset by peer");
    InputStream in =
        key.decrypting(new FailingStream(ciphertext, SEGMENT + SEGMENT / 2, storage), PART);

    Outcome outcome = readAll(in);

    assertThat(outcome.failure()).isSameAs(storage);
    assertThat(outcome.bytes()).isNotEmpty();
    assertIsPrefixOfPlaintext(outcome.bytes());
    assertThatThrownBy(() -> in.read(new byte[10])).isSameAs(storage);
  }

  @Test
  void decrypting_afterAuthenticationFailure_everyReadFailsAgain() throws Exception {
    InputStream in =
        key.decrypting(new ByteArrayInputStream(Arrays.copyOf(ciphertext, 1000)), PART);

    IOException first = readAll(in).failure();

    assertThat(first).isInstanceOf(DecryptionFailedException.class);
    assertThatThrownBy(in::read).isSameAs(first);
    assertThatThrownBy(() -> in.read(new byte[100], 0, 100)).isSameAs(first);
    assertThatThrownBy(() -> in.skip(10)).isSameAs(first);
  }

  @Test
  void toString_dataKey_showsNoKeyMaterial() throws Exception {
    assertThat(key.toString()).isEqualTo("DataKey[AES256_GCM_HKDF_1MB, ***]");
  }

  /**
   * Reads {@code tampered} to its end and checks that it fails the way a consumer must see it: a
   * {@link DecryptionFailedException} naming {@code name} at the offset where the released bytes
   * stop, the released bytes a prefix of the real plaintext, no clean end of stream.
   *
   * @param expectedOffset the offset to expect, or -1 for any
   */
  private static Outcome assertAuthenticationFails(
      byte[] tampered, ObjectKey name, DataKey decryptWith, long expectedOffset)
      throws IOException {
    Outcome outcome = readAll(decryptWith.decrypting(new ByteArrayInputStream(tampered), name));

    assertThat(outcome.failure())
        .as("a consumer must never see a clean end of stream")
        .isInstanceOf(DecryptionFailedException.class);
    DecryptionFailedException failure = (DecryptionFailedException) outcome.failure();
    assertThat(failure.key()).isEqualTo(name);
    assertThat(failure.offset()).isEqualTo(outcome.bytes().length);
    if (expectedOffset >= 0) {
      assertThat(failure.offset()).isEqualTo(expectedOffset);
    }
    assertIsPrefixOfPlaintext(outcome.bytes());
    assertThat(failure.getMessage())
        .isEqualTo(
            "unable to decrypt object '"
                + name
                + "': authentication failed at plaintext byte "
                + failure.offset()
                + " (tampered, truncated, renamed, or wrong key); no plaintext from byte "
                + failure.offset()
                + " on was released");
    return outcome;
  }

  private static void assertIsPrefixOfPlaintext(byte[] released) {
    assertThat(released.length).isLessThanOrEqualTo(PLAINTEXT.length);
    assertThat(Arrays.equals(released, 0, released.length, PLAINTEXT, 0, released.length))
        .as("the %d released bytes are the start of the real plaintext", released.length)
        .isTrue();
  }

  static byte[] encrypt(DataKey key, byte[] plaintext, ObjectKey name) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream encrypting = key.encrypting(out, name)) {
      // Uneven chunks, so segment boundaries fall inside writes.
      int off = 0;
      int chunk = 1;
      while (off < plaintext.length) {
        int n = Math.min(chunk, plaintext.length - off);
        encrypting.write(plaintext, off, n);
        off += n;
        chunk = chunk * 7 % 65_521 + 1;
      }
    }
    return out.toByteArray();
  }

  static Outcome readAll(InputStream in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) != -1) {
        out.write(buffer, 0, n);
      }
      return new Outcome(out.toByteArray(), null);
    } catch (IOException e) {
      return new Outcome(out.toByteArray(), e);
    }
  }

  static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  record Outcome(byte[] bytes, IOException failure) {}

  /**
   * Serves the first {@code failAt} bytes of {@code data}, then fails like a dropped connection.
   */
  private static final class FailingStream extends InputStream {
    private final byte[] data;
    private final int failAt;
    private final IOException failure;
    private int position;

    FailingStream(byte[] data, int failAt, IOException failure) {
      this.data = data;
      this.failAt = failAt;
      this.failure = failure;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= failAt) {
        throw failure;
      }
      int n = Math.min(len, failAt - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }
  }
}
