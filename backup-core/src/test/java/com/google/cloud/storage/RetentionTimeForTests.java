package com.google.cloud.storage;

import java.time.OffsetDateTime;

/**
 * Sets an object's retention expiry time, which only GCS itself sets (from the bucket's retention
 * policy) and so the client keeps package-private: the tests give it to the in-process fake, to
 * describe an object the way GCS reports one under a retention policy.
 */
public final class RetentionTimeForTests {
  private RetentionTimeForTests() {}

  public static BlobInfo.Builder retainedUntil(BlobInfo.Builder builder, OffsetDateTime until) {
    return builder.setRetentionExpirationTimeOffsetDateTime(until);
  }
}
