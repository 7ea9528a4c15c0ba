package io.ferry.agent.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which local users may call the daemon: the uid the kernel reports for the connecting process
 * (SO_PEERCRED, so it cannot be forged by the client) must be in the allow list.
 */
public record PeerPolicy(Set<Integer> allowedUids) {

  public PeerPolicy {
    allowedUids = Set.copyOf(allowedUids);
  }

  /** root, the daemon's own uid, and {@code extra}. */
  public static PeerPolicy withDefaults(Iterable<Integer> extra) {
    Set<Integer> uids = new LinkedHashSet<>();
    uids.add(0);
    uids.add(ownUid());
    extra.forEach(uids::add);
    return new PeerPolicy(uids);
  }

  public boolean allows(int uid) {
    return allowedUids.contains(uid);
  }

  /** The uid this JVM runs as (owner of its /proc entry). */
  public static int ownUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the daemon's own uid from /proc/self", e);
    }
  }
}
