package io.aido.backup.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RepositoryUrlTest {

  @Test
  void parse_fileUrl_givesNormalDirectory() {
    RepositoryUrl url = RepositoryUrl.parse("file:///var/backups/./repo/");

    assertThat(url.scheme()).isEqualTo("file");
    assertThat(url.directory()).hasToString("/var/backups/repo");
    assertThat(url).hasToString("file:///var/backups/repo");
  }

  @Test
  void parse_gsUrl_givesBucketAndPrefix() {
    RepositoryUrl url = RepositoryUrl.parse("gs://acme-backups/prod/todo/");

    assertThat(url.location()).isEqualTo("acme-backups");
    assertThat(url.prefix()).isEqualTo("prod/todo");
    assertThat(url).hasToString("gs://acme-backups/prod/todo");
    assertThat(RepositoryUrl.parse("gs://acme-backups").prefix()).isEmpty();
  }

  @Test
  void parse_memoryUrl_isAccepted() {
    assertThat(RepositoryUrl.parse("memory://t1")).hasToString("memory://t1");
  }

  @Test
  void parse_unsupportedScheme_saysWhatIsExpected() {
    assertThatThrownBy(() -> RepositoryUrl.parse("s3://bucket/x"))
        .hasMessage(
            "'s3://bucket/x' has unsupported scheme 's3' (expected file:///path or"
                + " gs://bucket/prefix)");
  }

  @Test
  void parse_relativeOrHostFilePath_isRefused() {
    assertThatThrownBy(() -> RepositoryUrl.parse("file://var/backups"))
        .hasMessageContaining("must name an absolute path");
    assertThatThrownBy(() -> RepositoryUrl.parse("/var/backups")).hasMessageContaining("no scheme");
  }

  @Test
  void parse_badBucketOrPrefix_isRefused() {
    assertThatThrownBy(() -> RepositoryUrl.parse("gs://B/x")).hasMessageContaining("bucket");
    assertThatThrownBy(() -> RepositoryUrl.parse("gs://bucket:443/x"))
        .hasMessageContaining("bucket");
    assertThatThrownBy(() -> RepositoryUrl.parse("gs://bucket/a//b"))
        .hasMessageContaining("invalid prefix");
    assertThatThrownBy(() -> RepositoryUrl.parse("gs://bucket/a/../b"))
        .hasMessageContaining("invalid prefix");
  }

  @Test
  void parse_credentials_refusedWithoutRepeatingThem() {
    assertThatThrownBy(() -> RepositoryUrl.parse("gs://user:s3cr3t@bucket/x"))
        .hasMessage("must not contain credentials")
        .message()
        .doesNotContain("s3cr3t");
  }

  @Test
  void parse_unparsableWithCredentials_quotesItWithoutThem() {
    assertThatThrownBy(() -> RepositoryUrl.parse("gs://user:s3cr3t@bucket/a b"))
        .hasMessageContaining("'gs://***@bucket/a b' is not a URL")
        .message()
        .doesNotContain("s3cr3t");
  }

  @Test
  void parse_blank_saysNotSet() {
    assertThatThrownBy(() -> RepositoryUrl.parse(" ")).hasMessageStartingWith("not set");
  }
}
