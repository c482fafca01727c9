package io.aido.backup.manifests;

/** Which Secrets an export keeps (inside the encrypted archive, never anywhere else). */
enum SecretsMode {
  /** Every Secret, except those a controller recreates. */
  INCLUDE,
  /**
   * Only the Sealed Secrets controller's key Secrets, without which no SealedSecret opens in a new
   * cluster; other Secrets (Helm release history included) are left out.
   */
  SEALED_ONLY,
  /** No Secret at all; SealedSecrets then cannot be opened in a new cluster. */
  EXCLUDE;

  static SecretsMode parse(String value) {
    return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "include" -> INCLUDE;
      case "sealed-only" -> SEALED_ONLY;
      case "exclude" -> EXCLUDE;
      default ->
          throw new IllegalArgumentException(
              "'" + value + "' is not one of include, sealed-only, exclude");
    };
  }

  String id() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
