package io.aido.backup.core.catalog;

/**
 * JSON form of records (Jackson, ISO-8601 times, stable field order, unknown fields ignored on read
 * so later formats stay readable). TODO(pipeline helper).
 */
public final class RecordJson {
  private RecordJson() {}
}
