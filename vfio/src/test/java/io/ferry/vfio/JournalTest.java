package io.ferry.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;
  private final PciAddress a = PciAddress.parse("0000:02:00.0");
  private final PciAddress b = PciAddress.parse("0000:03:00.0");

  @Test
  void appendsOneJsonLinePerEntryAndGroupsTheLatestSessionPerDevice() throws Exception {
    Journal journal = new Journal(dir.resolve("sub/journal"));
    journal.append(a, JournalEntry.Kind.BEGIN, null, Map.of("driver", "e1000e"));
    journal.append(a, JournalEntry.Kind.STEP, JournalEntry.Step.OVERRIDE_SET, Map.of());
    journal.append(b, JournalEntry.Kind.BEGIN, null, Map.of());
    journal.append(a, JournalEntry.Kind.ROLLED_BACK, null, Map.of());
    journal.append(a, JournalEntry.Kind.BEGIN, null, Map.of("driver", "igbvf"));

    assertThat(Files.readAllLines(journal.file())).hasSize(5).allMatch(l -> l.startsWith("{") && l.endsWith("}"));
    Map<PciAddress, java.util.List<JournalEntry>> sessions = journal.latestSessions();
    assertThat(sessions.get(a)).hasSize(1);
    assertThat(sessions.get(a).get(0).facts()).containsEntry("driver", "igbvf");
    assertThat(sessions.get(b)).extracting(JournalEntry::kind).containsExactly(JournalEntry.Kind.BEGIN);
  }

  @Test
  void aTornLastLineFromACrashIsSkippedButCorruptionElsewhereIsAnError() throws Exception {
    Journal journal = new Journal(dir.resolve("journal"));
    journal.append(a, JournalEntry.Kind.BEGIN, null, Map.of());
    Files.writeString(journal.file(), "{\"time\":\"2026-", StandardOpenOption.APPEND);

    assertThat(journal.entries()).hasSize(1);

    Files.writeString(journal.file(), "\n{\"device\":\"0000:02:00.0\",\"kind\":\"BEGIN\"}\n", StandardOpenOption.APPEND);
    assertThatThrownBy(journal::entries).hasMessageContaining("line 2");
  }
}
