package io.aido.backup.db;

import io.aido.backup.testing.PgCluster;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a database holds, as a map from a description to a checksum or definition, so that two
 * databases can be compared with one {@code isEqualTo}: every user table's ordered rows (md5),
 * sequence values, large objects with owners, owners of tables, views and functions, comments,
 * index, view, function and trigger definitions.
 */
final class DbFingerprint {
  private DbFingerprint() {}

  private static final String USER_SCHEMA =
      "%s NOT IN ('pg_catalog', 'information_schema') AND %s NOT LIKE 'pg\\_toast%%'";

  static Map<String, String> of(PgCluster pg, String db) {
    Map<String, String> f = new TreeMap<>();
    String tables =
        pg.psql(
            db,
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND "
                + String.format(USER_SCHEMA, "n.nspname", "n.nspname")
                + " ORDER BY 1");
    for (String t : tables.lines().toList()) {
      f.put(
          "rows " + t,
          pg.psql(
              db,
              "SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), ''))"
                  + " FROM "
                  + t
                  + " x"));
    }
    String seqs =
        pg.psql(
            db, "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences ORDER BY 1");
    for (String s : seqs.lines().toList()) {
      f.put("sequence " + s, pg.psql(db, "SELECT last_value || ' ' || is_called FROM " + s));
    }
    put(
        f,
        pg,
        db,
        "large objects",
        "SELECT string_agg(md5(lo_get(m.oid)) || ':' || pg_get_userbyid(m.lomowner), ','"
            + " ORDER BY md5(lo_get(m.oid))) FROM pg_largeobject_metadata m");
    put(
        f,
        pg,
        db,
        "owners",
        "SELECT string_agg(format('%I.%I:%s', n.nspname, c.relname, pg_get_userbyid(c.relowner)),"
            + " ',' ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p', 'v', 'S') AND "
            + String.format(USER_SCHEMA, "n.nspname", "n.nspname"));
    put(
        f,
        pg,
        db,
        "schema owners",
        "SELECT string_agg(nspname || ':' || pg_get_userbyid(nspowner), ',' ORDER BY nspname)"
            + " FROM pg_namespace n WHERE "
            + String.format(USER_SCHEMA, "n.nspname", "n.nspname"));
    put(
        f,
        pg,
        db,
        "functions",
        "SELECT string_agg(pg_get_functiondef(p.oid) || pg_get_userbyid(p.proowner), ','"
            + " ORDER BY p.proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            + " WHERE "
            + String.format(USER_SCHEMA, "n.nspname", "n.nspname"));
    put(
        f,
        pg,
        db,
        "indexes",
        "SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes WHERE "
            + String.format(USER_SCHEMA, "schemaname", "schemaname"));
    put(
        f,
        pg,
        db,
        "views",
        "SELECT string_agg(schemaname || '.' || viewname || ':' || definition, ','"
            + " ORDER BY viewname) FROM pg_views WHERE "
            + String.format(USER_SCHEMA, "schemaname", "schemaname"));
    put(
        f,
        pg,
        db,
        "triggers",
        "SELECT string_agg(pg_get_triggerdef(oid), ',' ORDER BY tgname) FROM pg_trigger"
            + " WHERE NOT tgisinternal");
    put(
        f,
        pg,
        db,
        "constraints",
        "SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname)"
            + " FROM pg_constraint WHERE connamespace::regnamespace::text NOT IN"
            + " ('pg_catalog', 'information_schema')");
    put(
        f,
        pg,
        db,
        "comments",
        "SELECT string_agg(objoid::regclass || '/' || objsubid || ':' || description, ','"
            + " ORDER BY description) FROM pg_description WHERE classoid = 'pg_class'::regclass"
            + " AND objoid >= 16384");
    return f;
  }

  private static void put(Map<String, String> f, PgCluster pg, String db, String what, String sql) {
    f.put(what, pg.psql(db, sql));
  }
}
