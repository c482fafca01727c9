package io.aido.backup.db;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Passes a tar stream through unchanged while reading its member headers, and keeps the content of
 * two members of a {@code pg_basebackup} tar: {@code backup_label} whole (it is a few hundred
 * bytes) and the last 64 KiB of {@code backup_manifest} (whose end holds the WAL range).
 *
 * <p>Memory stays bounded whatever the archive's size: one 512-byte header and at most 128 KiB of
 * kept content.
 */
final class TarScanner extends FilterInputStream {
  private static final int BLOCK = 512;
  private static final int KEEP = 64 * 1024;

  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  private long dataLeft;
  private long padLeft;
  private String member;
  private boolean ended;
  private final ByteArrayOutputStream label = new ByteArrayOutputStream();
  private byte[] manifestTail = new byte[0];
  private boolean sawManifest;

  TarScanner(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      scan(new byte[] {(byte) b}, 0, 1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      scan(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    throw new IOException("a scanned tar stream cannot skip");
  }

  /** The text of {@code backup_label}, if the tar held it. */
  String backupLabel() {
    return label.size() == 0 ? null : label.toString(StandardCharsets.UTF_8);
  }

  /** The end of {@code backup_manifest}, if the tar held it. */
  String manifestTail() {
    return sawManifest ? new String(manifestTail, StandardCharsets.UTF_8) : null;
  }

  private void scan(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end && !ended) {
      if (dataLeft > 0) {
        int n = (int) Math.min(dataLeft, end - i);
        keep(b, i, n);
        dataLeft -= n;
        i += n;
      } else if (padLeft > 0) {
        int n = (int) Math.min(padLeft, end - i);
        padLeft -= n;
        i += n;
      } else {
        int n = Math.min(BLOCK - headerFill, end - i);
        System.arraycopy(b, i, header, headerFill, n);
        headerFill += n;
        i += n;
        if (headerFill == BLOCK) {
          headerFill = 0;
          onHeader();
        }
      }
    }
  }

  private void onHeader() {
    boolean zero = true;
    for (byte x : header) {
      if (x != 0) {
        zero = false;
        break;
      }
    }
    if (zero) {
      member = null;
      return;
    }
    String name = text(0, 100);
    String prefix =
        new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar") ? text(345, 155) : "";
    member = prefix.isEmpty() ? name : prefix + "/" + name;
    if (member.startsWith("./")) {
      member = member.substring(2);
    }
    long size = size();
    dataLeft = size;
    padLeft = (BLOCK - size % BLOCK) % BLOCK;
    if (member.equals("backup_manifest")) {
      sawManifest = true;
    }
  }

  private void keep(byte[] b, int off, int n) {
    if ("backup_label".equals(member)) {
      if (label.size() + n <= KEEP) {
        label.write(b, off, n);
      }
    } else if ("backup_manifest".equals(member)) {
      int keepFromNew = Math.min(n, KEEP);
      int keepOld = Math.min(manifestTail.length, KEEP - keepFromNew);
      byte[] next = new byte[keepOld + keepFromNew];
      System.arraycopy(manifestTail, manifestTail.length - keepOld, next, 0, keepOld);
      System.arraycopy(b, off + n - keepFromNew, next, keepOld, keepFromNew);
      manifestTail = next;
    }
  }

  private String text(int off, int len) {
    int end = off;
    while (end < off + len && header[end] != 0) {
      end++;
    }
    return new String(header, off, end - off, StandardCharsets.UTF_8);
  }

  private long size() {
    if ((header[124] & 0x80) != 0) {
      long v = 0;
      for (byte x : Arrays.copyOfRange(header, 125, 136)) {
        v = (v << 8) | (x & 0xff);
      }
      return v;
    }
    String octal = text(124, 12).strip();
    return octal.isEmpty() ? 0 : Long.parseLong(octal, 8);
  }
}
