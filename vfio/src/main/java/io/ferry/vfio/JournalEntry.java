package io.ferry.vfio;

import java.util.Map;

/**
 * One line of the device journal. Written (and fsynced) before the change it announces, so after
 * a crash the journal says which changes may have happened.
 *
 * @param step set for {@link Kind#STEP} entries only
 * @param facts what recovery needs: original driver and override, saved VF settings, ...
 */
public record JournalEntry(String time, String device, Kind kind, Step step, Map<String, String> facts) {

  public JournalEntry {
    facts = facts == null ? Map.of() : Map.copyOf(facts);
  }

  public enum Kind {
    /** A prepare starts; facts hold the device as found. */
    BEGIN,
    /** The VF's settings as read from the PF before ferry changed anything. */
    VF_SAVED,
    /** A change is about to be made. */
    STEP,
    /** The prepare finished; facts say whether ferry bound the device itself. */
    PREPARED,
    /** A failed or interrupted prepare was undone. */
    ROLLED_BACK,
    /** A release starts. */
    RELEASE_BEGIN,
    /** The release finished: the device is as it was found. */
    RELEASED
  }

  /** The changes ferry makes, each undone by restoring what BEGIN / VF_SAVED recorded. */
  public enum Step {
    OVERRIDE_SET,
    UNBOUND,
    PROBED,
    VF_CONFIGURED
  }
}
