package io.ferry.agent.cli;

import io.ferry.agent.plan.CommitPolicy;
import io.ferry.agent.plan.WireName;
import picocli.CommandLine.ITypeConverter;

/** Reads a commit policy by its plan spelling ({@code after-replug}, {@code before-replug}). */
final class CommitPolicyConverter implements ITypeConverter<CommitPolicy> {
  @Override
  public CommitPolicy convert(String value) {
    return WireName.parse(CommitPolicy.class, value);
  }
}
