package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Small parts of the backup command. */
class SmallPartsTest {
  @Test
  void partName_plainName_keptAndOddCharactersEncoded() {
    assertThat(BackupCommand.partName("todo_app-2")).isEqualTo("todo_app-2.dump");
    assertThat(BackupCommand.partName("my db/x")).isEqualTo("my%20db%2Fx.dump");
    assertThat(BackupCommand.partName(".hidden")).isEqualTo("%2Ehidden.dump");
    assertThat(BackupCommand.partName("é")).isEqualTo("%C3%A9.dump");
  }
}
