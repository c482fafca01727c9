package io.aido.backup.core.crypto;

import com.google.api.client.googleapis.javanet.GoogleNetHttpTransport;
import com.google.api.client.http.HttpRequestInitializer;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.cloudkms.v1.CloudKMS;
import com.google.api.services.cloudkms.v1.CloudKMSScopes;
import com.google.auth.http.HttpCredentialsAdapter;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.integration.gcpkms.GcpKmsAead;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.regex.Pattern;

/**
 * Cloud KMS key-encryption keys ({@code gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K}),
 * opened for {@link KeyEncryptionKeys#open}: the name is checked and the application default
 * credentials are found, but KMS is not called until the first wrap or unwrap.
 */
final class KmsKeys {
  private static final Pattern KMS_KEY_NAME =
      Pattern.compile(
          "projects/[^/]+/locations/[a-zA-Z0-9_-]{1,63}/keyRings/[a-zA-Z0-9_-]{1,63}"
              + "/cryptoKeys/[a-zA-Z0-9_-]{1,63}");

  private static final int KMS_CONNECT_TIMEOUT_MILLIS = 10_000;
  private static final int KMS_READ_TIMEOUT_MILLIS = 30_000;

  private KmsKeys() {}

  static KeyEncryptionKey open(String uri) throws GeneralSecurityException {
    keyName(uri);
    GoogleCredentials credentials;
    try {
      credentials = GoogleCredentials.getApplicationDefault();
    } catch (IOException e) {
      // The cause's message stays out: a broken credentials file can show up in it.
      throw new GeneralSecurityException(
          "unable to open key-encryption key '"
              + uri
              + "': no Google Cloud application default credentials found (set"
              + " GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run with"
              + " Workload Identity)",
          e);
    }
    if (credentials.createScopedRequired()) {
      credentials = credentials.createScoped(CloudKMSScopes.all());
    }
    HttpCredentialsAdapter adapter = new HttpCredentialsAdapter(credentials);
    HttpRequestInitializer initializer =
        request -> {
          adapter.initialize(request);
          request.setConnectTimeout(KMS_CONNECT_TIMEOUT_MILLIS);
          request.setReadTimeout(KMS_READ_TIMEOUT_MILLIS);
        };
    CloudKMS client;
    try {
      client =
          new CloudKMS.Builder(
                  GoogleNetHttpTransport.newTrustedTransport(),
                  GsonFactory.getDefaultInstance(),
                  initializer)
              .setApplicationName("aido-backup")
              .build();
    } catch (IOException e) {
      throw new GeneralSecurityException(
          "unable to open key-encryption key '" + uri + "': " + e.getMessage(), e);
    }
    return open(uri, client);
  }

  /** A Cloud KMS key reached through {@code client}; tests point the client at a fake server. */
  static KeyEncryptionKey open(String uri, CloudKMS client) throws GeneralSecurityException {
    String keyName = keyName(uri);
    Aead aead = GcpKmsAead.builder().setCloudKms(client).setKeyName(keyName).build();
    return new KeyEncryptionKey(uri, aead, true, client, keyName);
  }

  private static String keyName(String uri) throws GeneralSecurityException {
    String keyName = uri.substring(KeyEncryptionKeys.GCP_KMS_PREFIX.length());
    if (!KMS_KEY_NAME.matcher(keyName).matches()) {
      throw new GeneralSecurityException(
          "unable to open key-encryption key '"
              + uri
              + "': not a Cloud KMS key name (expected"
              + " gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K)");
    }
    return keyName;
  }
}
