package io.aido.backup.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The roles that own objects in a database, so a restore can tell before it starts whether it can
 * give every object its owner back.
 */
public final class Owners {
  private Owners() {}

  private static final String USER_SCHEMAS =
      " n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

  private static final String OWNERS =
      "SELECT DISTINCT pg_get_userbyid(o) FROM ("
          + " SELECT n.nspowner AS o FROM pg_namespace n WHERE"
          + USER_SCHEMAS
          + " UNION SELECT c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE"
          + USER_SCHEMAS
          + " UNION SELECT p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
          + " WHERE"
          + USER_SCHEMAS
          + " UNION SELECT t.typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
          + " WHERE"
          + USER_SCHEMAS
          + " UNION SELECT lomowner FROM pg_largeobject_metadata) owners ORDER BY 1";

  /** The names of every role owning a schema, relation, function, type or large object. */
  public static List<String> of(Connection c) throws SQLException {
    List<String> roles = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(OWNERS)) {
      while (rs.next()) {
        roles.add(rs.getString(1));
      }
    }
    return roles;
  }

  /** The roles among {@code roles} that do not exist on the server {@code c} is connected to. */
  public static Set<String> missing(Connection c, Collection<String> roles) throws SQLException {
    Set<String> missing = new TreeSet<>(roles);
    if (roles.isEmpty()) {
      return missing;
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT rolname FROM pg_roles WHERE rolname = ANY (?)")) {
      Array names = c.createArrayOf("text", roles.toArray());
      ps.setArray(1, names);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          missing.remove(rs.getString(1));
        }
      }
    }
    return missing;
  }
}
