package io.aido.backup.core.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Gets the JVM's AES-GCM code compiled before the first backup segment needs it.
 *
 * <p>Why: HotSpot compiles the AES-GCM intrinsics only once the JDK's GCM methods have been called
 * some thousands of times. A data key seals one 1 MiB segment per call, so a fresh JVM encrypts and
 * decrypts its first gigabyte or so interpreted, at under 100 MiB/s instead of several GiB/s
 * (measured with {@code CryptoThroughput}). A few tens of thousands of tiny GCM operations, about
 * 0.3 s of CPU on one background thread, get the same code compiled straight away.
 *
 * <p>The data is throwaway (a zero key on zero bytes); nothing here touches a real key.
 */
final class GcmWarmUp {
  private static final int ROUNDS = 20_000;
  private static final int SIZE = 256;
  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private GcmWarmUp() {}

  /** Starts the warm-up on a daemon thread, once per JVM. */
  static void start() {
    if (STARTED.compareAndSet(false, true)) {
      Thread thread = new Thread(GcmWarmUp::run, "aes-gcm-warm-up");
      thread.setDaemon(true);
      thread.setPriority(Thread.MIN_PRIORITY);
      thread.start();
    }
  }

  /**
   * Seals and opens {@value #ROUNDS} small messages the way Tink's streaming segments do (heap byte
   * buffers, one init and doFinal per message).
   *
   * @return whether every message opened to what was sealed
   */
  static boolean run() {
    try {
      Cipher seal = Cipher.getInstance("AES/GCM/NoPadding");
      Cipher open = Cipher.getInstance("AES/GCM/NoPadding");
      SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
      ByteBuffer plaintext = ByteBuffer.allocate(SIZE);
      ByteBuffer sealed = ByteBuffer.allocate(SIZE + 16);
      ByteBuffer opened = ByteBuffer.allocate(SIZE);
      byte[] nonce = new byte[12];
      for (int i = 0; i < ROUNDS; i++) {
        ByteBuffer.wrap(nonce).putInt(8, i);
        GCMParameterSpec spec = new GCMParameterSpec(128, nonce);
        seal.init(Cipher.ENCRYPT_MODE, key, spec);
        plaintext.clear();
        sealed.clear();
        seal.doFinal(plaintext, sealed);
        open.init(Cipher.DECRYPT_MODE, key, spec);
        sealed.flip();
        opened.clear();
        open.doFinal(sealed, opened);
        if (opened.position() != SIZE) {
          return false;
        }
      }
      return true;
    } catch (GeneralSecurityException e) {
      // Only a speed-up: a JVM without AES-GCM fails loudly in Tink on the first real segment.
      return false;
    }
  }
}
