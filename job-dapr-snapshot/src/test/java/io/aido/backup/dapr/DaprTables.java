package io.aido.backup.dapr;

import io.aido.backup.testing.PgCluster;

/**
 * The tables Dapr's PostgreSQL state store creates, with the DDL of its own migrations
 * (components-contrib {@code state/postgresql/v1/migrations.go}: the state table, then the {@code
 * expiredate} column; {@code state/postgresql/v2/postgresql.go}: the v2 state table and its index;
 * the shared {@code dapr_metadata} table), and rows written the way its Set does.
 */
final class DaprTables {
  private DaprTables() {}

  static void createMetadataTable(PgCluster pg, String db) {
    pg.psql(
        db,
        "CREATE TABLE IF NOT EXISTS dapr_metadata (key text NOT NULL PRIMARY KEY, value text NOT"
            + " NULL)");
  }

  /** v1: migration 0 and migration 1. */
  static void createV1(PgCluster pg, String db, String table) {
    createMetadataTable(pg, db);
    pg.psql(
        db,
        "CREATE TABLE IF NOT EXISTS "
            + table
            + " (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, isbinary boolean NOT NULL,"
            + " insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updatedate TIMESTAMP"
            + " WITH TIME ZONE NULL);"
            + "ALTER TABLE "
            + table
            + " ADD expiredate TIMESTAMP WITH TIME ZONE;"
            + "INSERT INTO dapr_metadata VALUES ('migrations', '2') ON CONFLICT DO NOTHING;");
  }

  /** v2: migration 1, for {@code tablePrefix}. */
  static void createV2(PgCluster pg, String db, String tablePrefix) {
    createMetadataTable(pg, db);
    String table = tablePrefix + "state";
    pg.psql(
        db,
        "CREATE TABLE "
            + table
            + " (key text NOT NULL PRIMARY KEY, value bytea NOT NULL, etag uuid NOT NULL DEFAULT"
            + " gen_random_uuid(), created_at timestamp with time zone NOT NULL DEFAULT now(),"
            + " updated_at timestamp with time zone, expires_at timestamp with time zone);"
            + "CREATE INDEX ON "
            + table
            + " (expires_at);"
            + "INSERT INTO dapr_metadata VALUES ('migrations-state-v2-"
            + tablePrefix
            + "', '1') ON CONFLICT DO NOTHING;");
  }

  /** A v1 Set as Dapr runs it: JSON text, or a base64 JSON string with isbinary for bytes. */
  static String v1Insert(String table, String key, String json, boolean binary, String ttl) {
    return "INSERT INTO "
        + table
        + " (key, value, isbinary, expiredate) VALUES ('"
        + key
        + "', '"
        + json
        + "'::jsonb, "
        + binary
        + ", "
        + (ttl == null ? "NULL" : "CURRENT_TIMESTAMP + interval '" + ttl + "'")
        + ") ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, isbinary = EXCLUDED.isbinary,"
        + " updatedate = CURRENT_TIMESTAMP, expiredate = EXCLUDED.expiredate;";
  }

  /** A v2 Set as Dapr runs it: bytes as they are, a fresh etag. */
  static String v2Insert(String table, String key, String valueHex, String ttl) {
    return "INSERT INTO "
        + table
        + " (key, value, etag, expires_at) VALUES ('"
        + key
        + "', '\\x"
        + valueHex
        + "'::bytea, gen_random_uuid(), "
        + (ttl == null ? "NULL" : "now() + interval '" + ttl + "'")
        + ") ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), etag ="
        + " gen_random_uuid(), expires_at = EXCLUDED.expires_at;";
  }
}
