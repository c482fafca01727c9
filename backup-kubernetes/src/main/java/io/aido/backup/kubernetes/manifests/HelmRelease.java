package io.aido.backup.kubernetes.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.kubernetes.ObjectYaml;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * One Helm release revision, decoded from the Secret Helm 3 keeps it in (type {@code
 * helm.sh/release.v1}, key {@code release}): the Secret's base64, then Helm's own base64, then gzip
 * (Helm writes uncompressed JSON when gzip would not pay off), then the release as JSON.
 *
 * <p>What a person needs to compare revisions: the user-supplied values ({@code config}) and the
 * release facts (chart name, chart version, app version, status, times, description).
 *
 * <p>{@link #decode} throws {@link IOException} naming the step that failed; the message never
 * quotes the content.
 */
public record HelmRelease(
    String name,
    String namespace,
    int revision,
    String chartName,
    String chartVersion,
    String appVersion,
    String status,
    String firstDeployed,
    String lastDeployed,
    String description,
    JsonNode values) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] GZIP_MAGIC = {(byte) 0x1f, (byte) 0x8b};

  /** Decodes the Secret's {@code data.release} field (as the API returns it: base64). */
  public static HelmRelease decode(String secretDataRelease) throws IOException {
    byte[] helmBase64;
    byte[] packed;
    try {
      helmBase64 = Base64.getMimeDecoder().decode(secretDataRelease);
      packed = Base64.getMimeDecoder().decode(helmBase64);
    } catch (IllegalArgumentException e) {
      throw new IOException("the release field is not base64 inside base64");
    }
    JsonNode release;
    try (InputStream in = unpacked(packed)) {
      release = JSON.readTree(in);
    } catch (IOException e) {
      throw new IOException("the release field does not unpack to JSON (gzip or JSON broken)");
    }
    if (release == null || !release.isObject() || !release.hasNonNull("name")) {
      throw new IOException("the release JSON has no name");
    }
    JsonNode info = release.path("info");
    JsonNode chart = release.path("chart").path("metadata");
    JsonNode config = release.get("config");
    return new HelmRelease(
        release.path("name").asText(),
        release.path("namespace").asText(null),
        release.path("version").asInt(),
        chart.path("name").asText(null),
        chart.path("version").asText(null),
        chart.path("appVersion").asText(null),
        info.path("status").asText(null),
        info.path("first_deployed").asText(null),
        info.path("last_deployed").asText(null),
        info.path("description").asText(null),
        config == null || config.isNull() ? JSON.createObjectNode() : config);
  }

  private static InputStream unpacked(byte[] packed) throws IOException {
    InputStream raw = new ByteArrayInputStream(packed);
    if (packed.length >= 2 && packed[0] == GZIP_MAGIC[0] && packed[1] == GZIP_MAGIC[1]) {
      return new GZIPInputStream(raw);
    }
    return raw;
  }

  /** The user-supplied values as YAML, nulls included (they remove chart defaults). */
  public byte[] valuesYaml() {
    return ObjectYaml.writeValueKeepingNulls(values);
  }

  /** The release facts as YAML. */
  public byte[] releaseYaml() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("name", name);
    facts.put("namespace", namespace);
    facts.put("revision", revision);
    facts.put("chart", chartName);
    facts.put("chartVersion", chartVersion);
    facts.put("appVersion", appVersion);
    facts.put("status", status);
    facts.put("firstDeployed", firstDeployed);
    facts.put("lastDeployed", lastDeployed);
    facts.put("description", description);
    return ObjectYaml.writeValue(facts);
  }
}
