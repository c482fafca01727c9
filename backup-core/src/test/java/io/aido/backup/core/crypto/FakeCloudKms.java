package io.aido.backup.core.crypto;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.cloudkms.v1.CloudKMS;
import com.google.common.hash.Hashing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Cloud KMS REST API (encrypt and decrypt with CRC32C integrity fields, and
 * reading a key's primary version, which {@link #rotate()} advances), over real HTTP through
 * WireMock: Cloud KMS cannot run here. Its "ciphertext" is a tag of the key name and associated
 * data followed by the plaintext, so it is no cipher; it only behaves like KMS toward the client: a
 * ciphertext from another key, or with other associated data, is refused with HTTP 400, and {@link
 * #failWith(int)} makes every call fail with a status. Public in the test-jar so that the jobs'
 * tests can make a key unavailable the way Cloud KMS does.
 */
public final class FakeCloudKms implements AutoCloseable {
  private static final Pattern CALL =
      Pattern.compile("/v1/(projects/[^:]+/cryptoKeys/[^:/?]+)(?::(encrypt|decrypt))?(?:\\?.*)?");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WireMockServer server;
  private volatile int failStatus;
  private volatile int primaryVersion = 1;

  public FakeCloudKms() {
    server = new WireMockServer(options().dynamicPort().extensions(new Kms()));
    server.start();
    server.stubFor(any(anyUrl()).willReturn(ok()));
  }

  /**
   * Makes a new primary version, as {@code gcloud kms keys versions create --primary} or automatic
   * rotation does: later encryptions name it, and ciphertexts of older versions still decrypt.
   */
  public void rotate() {
    primaryVersion++;
  }

  /** Every later call answers with {@code status} (0: behave). */
  public void failWith(int status) {
    failStatus = status;
  }

  /** Opens the key {@code uri} through this server, without credentials. */
  public KeyEncryptionKey open(String uri) throws GeneralSecurityException {
    return KmsKeys.open(uri, client("http://localhost:" + server.port() + "/"));
  }

  static CloudKMS client(String rootUrl) {
    return new CloudKMS.Builder(new NetHttpTransport(), GsonFactory.getDefaultInstance(), null)
        .setRootUrl(rootUrl)
        .setApplicationName("fake-kms-test")
        .build();
  }

  @Override
  public void close() {
    server.stop();
  }

  private final class Kms implements ResponseDefinitionTransformerV2 {
    @Override
    public String getName() {
      return "fake-cloud-kms";
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
      if (failStatus != 0) {
        return error(failStatus, "injected failure");
      }
      Matcher call = CALL.matcher(event.getRequest().getUrl());
      if (!call.matches()) {
        return error(404, "no such method");
      }
      try {
        if (call.group(2) == null) {
          ObjectNode key = JSON.createObjectNode();
          key.put("name", call.group(1));
          key.putObject("primary")
              .put("name", call.group(1) + "/cryptoKeyVersions/" + primaryVersion)
              .put("state", "ENABLED");
          return ResponseDefinitionBuilder.responseDefinition()
              .withStatus(200)
              .withHeader("Content-Type", "application/json")
              .withBody(JSON.writeValueAsString(key))
              .build();
        }
        JsonNode request = JSON.readTree(event.getRequest().getBodyAsString());
        byte[] aad = decode(request.path("additionalAuthenticatedData").asText(""));
        byte[] tag = tag(call.group(1), aad);
        ObjectNode response = JSON.createObjectNode();
        if (call.group(2).equals("encrypt")) {
          byte[] plaintext = decode(request.path("plaintext").asText(""));
          byte[] ciphertext =
              ByteBuffer.allocate(tag.length + plaintext.length).put(tag).put(plaintext).array();
          response.put("name", call.group(1) + "/cryptoKeyVersions/" + primaryVersion);
          response.put("ciphertext", Base64.getEncoder().encodeToString(ciphertext));
          response.put("ciphertextCrc32c", Long.toString(crc32c(ciphertext)));
          response.put("verifiedPlaintextCrc32c", true);
          response.put("verifiedAdditionalAuthenticatedDataCrc32c", true);
        } else {
          byte[] ciphertext = decode(request.path("ciphertext").asText(""));
          if (ciphertext.length < tag.length
              || !Arrays.equals(Arrays.copyOf(ciphertext, tag.length), tag)) {
            return error(400, "Decryption failed: the ciphertext is invalid.");
          }
          byte[] plaintext = Arrays.copyOfRange(ciphertext, tag.length, ciphertext.length);
          response.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
          response.put("plaintextCrc32c", Long.toString(crc32c(plaintext)));
          response.put("verifiedCiphertextCrc32c", true);
          response.put("verifiedAdditionalAuthenticatedDataCrc32c", true);
        }
        return ResponseDefinitionBuilder.responseDefinition()
            .withStatus(200)
            .withHeader("Content-Type", "application/json")
            .withBody(JSON.writeValueAsString(response))
            .build();
      } catch (IOException | RuntimeException e) {
        return error(500, e.toString());
      }
    }
  }

  private static ResponseDefinition error(int status, String message) {
    String body =
        "{\"error\":{\"code\":" + status + ",\"message\":\"" + message + "\",\"status\":\"X\"}}";
    return ResponseDefinitionBuilder.responseDefinition()
        .withStatus(status)
        .withHeader("Content-Type", "application/json")
        .withBody(body)
        .build();
  }

  private static byte[] tag(String keyName, byte[] aad) {
    return Hashing.sha256()
        .newHasher()
        .putString(keyName, StandardCharsets.UTF_8)
        .putBytes(aad)
        .hash()
        .asBytes();
  }

  private static byte[] decode(String base64) {
    return Base64.getDecoder().decode(base64.replace('-', '+').replace('_', '/'));
  }

  private static long crc32c(byte[] bytes) {
    return Hashing.crc32c().hashBytes(bytes).padToLong();
  }
}
