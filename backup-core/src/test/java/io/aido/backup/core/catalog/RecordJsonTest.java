package io.aido.backup.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordJsonTest {
  private static final String ID = "20261124T020000Z-a1b2c3";
  private static final BackupRecord RECORD =
      Records.record(
          BackupKind.DB_LOGICAL,
          ID,
          List.of(Records.part(BackupKind.DB_LOGICAL, ID, "todo.dump", 10)));

  private static BackupRecord read(String json) throws IOException {
    return RecordJson.read(
        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "catalog/x.json");
  }

  @Test
  void write_thenRead_roundTrips() throws IOException {
    byte[] json = RecordJson.write(RECORD);
    assertThat(RecordJson.read(new ByteArrayInputStream(json), "r")).isEqualTo(RECORD);
  }

  @Test
  void write_usesIsoTimesAndPlainIdsAndKinds() {
    String json = new String(RecordJson.write(RECORD), StandardCharsets.UTF_8);
    assertThat(json)
        .contains("\"id\" : \"" + ID + "\"")
        .contains("\"kind\" : \"db-logical\"")
        .contains("\"startedAt\" : \"2026-11-24T02:00:00Z\"")
        .contains("\"format\" : 1")
        .doesNotContain("\"value\"");
    assertThat(json.indexOf("\"format\"")).isLessThan(json.indexOf("\"id\""));
  }

  @Test
  void write_sameRecord_sameBytes() {
    assertThat(RecordJson.write(RECORD)).isEqualTo(RecordJson.write(RECORD));
  }

  @Test
  void read_unknownFields_areIgnored() throws IOException {
    String json = new String(RecordJson.write(RECORD), StandardCharsets.UTF_8);
    String later = json.replaceFirst("\\{", "{\n  \"addedLater\" : {\"x\" : [1, 2]},");
    later = later.replace("\"compression\" :", "\"dedup\" : true, \"compression\" :");
    assertThat(read(later)).isEqualTo(RECORD);
  }

  @Test
  void read_newerFormat_refusedWithClearMessage() {
    String json =
        new String(RecordJson.write(RECORD), StandardCharsets.UTF_8)
            .replace("\"format\" : 1", "\"format\" : 2");
    assertThatThrownBy(() -> read(json))
        .isInstanceOf(UnsupportedFormatException.class)
        .hasMessageContaining("'catalog/x.json' has format 2")
        .hasMessageContaining("newer version of the tool");
  }

  @Test
  void read_notJson_failsNamingOrigin() {
    assertThatThrownBy(() -> read("{ not json"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unable to read 'catalog/x.json': not valid JSON");
  }

  @Test
  void read_withoutFormat_fails() {
    assertThatThrownBy(() -> read("{\"id\": \"" + ID + "\"}"))
        .hasMessageContaining("no format number");
  }

  @Test
  void read_missingRequiredField_failsNamingOrigin() {
    assertThatThrownBy(() -> read("{\"format\": 1, \"kind\": \"dapr\"}"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unable to read 'catalog/x.json' as a backup record");
  }

  @Test
  void read_badId_fails() {
    String json =
        new String(RecordJson.write(RECORD), StandardCharsets.UTF_8).replace(ID, "yesterday");
    assertThatThrownBy(() -> read(json)).hasMessageContaining("yesterday");
  }

  @Test
  void repositoryFormat_roundTrips_andNewerIsRefused() throws IOException {
    RepositoryFormat f = new RepositoryFormat(1, Instant.parse("2026-11-24T02:00:00Z"), "dev");
    byte[] json = RecordJson.write(f);
    assertThat(RecordJson.readFormat(new ByteArrayInputStream(json), "format.json")).isEqualTo(f);

    byte[] newer =
        new String(json, StandardCharsets.UTF_8)
            .replace("\"format\" : 1", "\"format\" : 7")
            .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> RecordJson.readFormat(new ByteArrayInputStream(newer), "format.json"))
        .isInstanceOf(UnsupportedFormatException.class)
        .hasMessageContaining("repository 'format.json' has format 7");
  }
}
