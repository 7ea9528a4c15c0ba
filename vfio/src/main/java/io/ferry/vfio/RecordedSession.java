package io.ferry.vfio;

import io.ferry.vfio.JournalEntry.Kind;
import io.ferry.vfio.JournalEntry.Step;
import io.ferry.vfio.netlink.VfInfo;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** What a journal session says about a device: as found, saved VF settings, changes begun. */
record RecordedSession(FoundState found, Optional<VfInfo> savedVf, Set<Step> steps) {
  static RecordedSession of(List<JournalEntry> session) {
    FoundState found = FoundState.fromFacts(session.get(0).facts());
    Optional<VfInfo> saved = Optional.empty();
    EnumSet<Step> steps = EnumSet.noneOf(Step.class);
    for (JournalEntry e : session) {
      if (e.kind() == Kind.VF_SAVED) {
        saved = Optional.of(VfFacts.fromFacts(e.facts()));
      } else if (e.kind() == Kind.STEP && e.step() != null) {
        steps.add(e.step());
      }
    }
    return new RecordedSession(found, saved, steps);
  }
}
