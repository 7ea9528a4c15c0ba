package io.ferry.agent.cli;

import io.ferry.agent.event.Result;

/** Process exit codes shared by the commands that run migrations. */
final class ExitCodes {
  static final int OK = 0;
  static final int ERROR = 1;
  static final int INVALID = 2;

  private ExitCodes() {}

  static int of(Result result) {
    return switch (result) {
      case SUCCEEDED -> OK;
      case DEGRADED -> 3;
      case ROLLED_BACK -> 4;
      case FAILED -> 5;
    };
  }
}
