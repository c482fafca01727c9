package io.aido.backup.dapr;

import io.aido.backup.core.config.Redaction;
import java.sql.DriverManager;
import java.util.Locale;
import java.util.Optional;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Picks the {@link StateStore} class for a Dapr Component and connects it from the Component's
 * metadata. Adding a store type is one class and one case here.
 *
 * <p>Supported: {@code state.postgresql} (v1 and v2: {@code connectionString}, {@code tableName}
 * for v1, {@code tablePrefix} for v2) and {@code state.redis} (a single node: {@code redisHost},
 * {@code redisPassword}, {@code redisUsername}, {@code redisDB}, {@code enableTLS}). Anything else
 * is unsupported, with the reason.
 */
public final class StateStores {
  private StateStores() {}

  /**
   * A store, or why not.
   *
   * @param store the store, if supported
   * @param unsupported why the Component is not supported, if not
   */
  public record Opening(Optional<StateStore> store, String unsupported) {
    static Opening of(StateStore store) {
      return new Opening(Optional.of(store), null);
    }

    static Opening unsupported(String reason) {
      return new Opening(Optional.empty(), reason);
    }
  }

  /**
   * Connects {@code component}'s store (no I/O yet: connections open when the store is used).
   *
   * @throws IllegalArgumentException if a supported Component's metadata is incomplete or
   *     malformed; the message names the Component and the metadata key, never a value
   */
  public static Opening open(DaprComponent component) {
    String type = component.type() == null ? "" : component.type();
    return switch (type) {
      case "state.postgresql" -> postgres(component);
      case "state.redis" -> redis(component);
      default -> Opening.unsupported(unsupportedType(type).orElseThrow());
    };
  }

  /**
   * Why a Component of {@code type} cannot be opened whatever its metadata, or empty if a class
   * handles the type. Callers ask before resolving the Component's Secrets, so that the Secrets of
   * a store that will be skipped are never read.
   */
  public static Optional<String> unsupportedType(String type) {
    String t = type == null ? "" : type;
    return switch (t) {
      case "state.postgresql", "state.redis" -> Optional.empty();
      default ->
          Optional.of(
              "state store type "
                  + (t.isEmpty() ? "(none)" : t)
                  + " is not supported yet (supported: state.postgresql v1 and v2, state.redis)");
    };
  }

  private static Opening postgres(DaprComponent c) {
    String connection =
        c.value("connectionString")
            .filter(s -> !s.isBlank())
            .orElseThrow(() -> incomplete(c, "connectionString", "is not set"));
    if (c.value("useAzureAD").map(Boolean::parseBoolean).orElse(false)
        || c.value("useAWSIAM").map(Boolean::parseBoolean).orElse(false)) {
      return Opening.unsupported("PostgreSQL with Azure AD or AWS IAM authentication");
    }
    PgConnectionString cs;
    try {
      cs = PgConnectionString.parse(connection);
    } catch (IllegalArgumentException e) {
      throw incomplete(c, "connectionString", e.getMessage());
    }
    Redaction.register(connection);
    Redaction.register(cs.password());
    PostgresStateStore.Layout layout = PostgresStateStore.Layout.of(c.version());
    String table =
        layout == PostgresStateStore.Layout.V1
            ? c.value("tableName").filter(s -> !s.isBlank()).orElse("state")
            : c.value("tablePrefix").orElse("") + "state";
    return Opening.of(
        new PostgresStateStore(
            () -> DriverManager.getConnection(cs.jdbcUrl(), cs.properties()),
            layout,
            table,
            cs.server()));
  }

  private static Opening redis(DaprComponent c) {
    String redisType = c.value("redisType").orElse("node").toLowerCase(Locale.ROOT);
    if (!redisType.equals("node") && !redisType.isBlank()) {
      return Opening.unsupported("Redis of type " + redisType + " (only a single node for now)");
    }
    if (c.value("failover").map(Boolean::parseBoolean).orElse(false)) {
      return Opening.unsupported("Redis with Sentinel failover (only a single node for now)");
    }
    if (c.value("queryIndexes").filter(s -> !s.isBlank()).isPresent()) {
      return Opening.unsupported("Redis with query indexes (RedisJSON documents, not hashes)");
    }
    String hostPort =
        c.value("redisHost")
            .filter(s -> !s.isBlank())
            .orElseThrow(() -> incomplete(c, "redisHost", "is not set"));
    HostAndPort address;
    try {
      address = HostAndPort.from(hostPort.contains(":") ? hostPort : hostPort + ":6379");
    } catch (RuntimeException e) {
      throw incomplete(c, "redisHost", "is not host:port");
    }
    int db;
    try {
      db = Integer.parseInt(c.value("redisDB").filter(s -> !s.isBlank()).orElse("0"));
    } catch (NumberFormatException e) {
      throw incomplete(c, "redisDB", "is not a number");
    }
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .database(db)
            .ssl(c.value("enableTLS").map(Boolean::parseBoolean).orElse(false))
            .timeoutMillis(10_000)
            .clientName("aido-backup-dapr");
    c.value("redisUsername").filter(s -> !s.isBlank()).ifPresent(config::user);
    c.value("redisPassword")
        .filter(s -> !s.isEmpty())
        .ifPresent(
            password -> {
              // an inline value is as secret as one from a Secret
              Redaction.register(password);
              config.password(password);
            });
    DefaultJedisClientConfig built = config.build();
    return Opening.of(new RedisStateStore(() -> new Jedis(address, built), address + "/" + db));
  }

  private static IllegalArgumentException incomplete(DaprComponent c, String key, String what) {
    return new IllegalArgumentException(
        "unable to connect state store " + c.id() + ": metadata '" + key + "' " + what);
  }
}
