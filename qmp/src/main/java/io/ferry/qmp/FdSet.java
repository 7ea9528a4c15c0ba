package io.ferry.qmp;

import java.util.List;

/** One entry of {@code query-fdsets}. */
public record FdSet(int fdsetId, List<FdSetEntry> fds) {
  public FdSet {
    fds = List.copyOf(fds);
  }
}
