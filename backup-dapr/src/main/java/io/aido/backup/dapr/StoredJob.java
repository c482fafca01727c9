package io.aido.backup.dapr;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/** What the restore needs of a job the Dapr Scheduler stores (go-etcd-cron {@code stored.Job}). */
final class StoredJob {
  private StoredJob() {}

  /**
   * When a stored job (go-etcd-cron {@code stored.Job}: field 2 {@code start}, field 3 {@code
   * due_time}, both {@code google.protobuf.Timestamp}) is first due; empty if the value is not such
   * a message.
   */
  static Optional<Instant> dueTime(byte[] value) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(value);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = tag >>> 3;
        if ((field == 2 || field == 3) && (tag & 7) == 2) {
          CodedInputStream ts = CodedInputStream.newInstance(in.readByteArray());
          long seconds = 0;
          int nanos = 0;
          for (int t = ts.readTag(); t != 0; t = ts.readTag()) {
            if (t == 8) {
              seconds = ts.readInt64();
            } else if (t == 16) {
              nanos = ts.readInt32();
            } else {
              ts.skipField(t);
            }
          }
          return Optional.of(Instant.ofEpochSecond(seconds, nanos));
        }
        in.skipField(tag);
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }
}
