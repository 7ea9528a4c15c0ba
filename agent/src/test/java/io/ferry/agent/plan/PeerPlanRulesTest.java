package io.ferry.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A destination with an agent is on another host: the plan rules that follow from it. */
class PeerPlanRulesTest {
  private static final String PEER = """
      {"source": {"qmp": "/run/vm1/qmp.sock"},
       "destination": {"agent": "https://10.0.0.2:7443", "qmp": "/run/vm1/qmp.sock"},
       "uri": "tcp:10.0.0.2:4444"}
      """;

  @Test
  void aPeerDestinationMayUseTheSameQmpPathOnItsOwnHost() {
    MigrationPlan plan = PlanParser.parse(PEER);
    assertThat(plan.destination().agent()).contains(URI.create("https://10.0.0.2:7443"));
    assertThat(plan.destination().qmp()).isEqualTo(Path.of("/run/vm1/qmp.sock"));
    assertThat(PlanParser.parse(PlanJson.write(plan))).isEqualTo(plan);
  }

  @Test
  void aUnixStreamCannotReachAnotherHost() {
    assertThat(problems(PEER.replace("tcp:10.0.0.2:4444", "unix:/run/vm1/mig.sock")))
        .singleElement().satisfies(p -> {
          assertThat(p.path()).isEqualTo("$.uri");
          assertThat(p.message()).contains("must be tcp:HOST:PORT");
        });
  }

  @Test
  void failoverIsRefusedWithAPeerDestination() {
    assertThat(problems(PEER.replace("\"uri\"", "\"mode\": \"failover\", \"uri\"")))
        .singleElement().satisfies(p -> {
          assertThat(p.path()).isEqualTo("$.mode");
          assertThat(p.message()).contains("not supported with a peer agent");
        });
  }

  @Test
  void theSourceCannotNameAnAgent() {
    assertThat(problems(PEER.replace("{\"qmp\": \"/run/vm1/qmp.sock\"},",
            "{\"qmp\": \"/run/vm1/qmp.sock\", \"agent\": \"https://10.0.0.1:7443\"},")))
        .singleElement().satisfies(p -> assertThat(p.path()).isEqualTo("$.source.agent"));
  }

  @Test
  void withoutAnAgentTheSameQmpIsStillRefused() {
    assertThat(problems(PEER.replace("\"agent\": \"https://10.0.0.2:7443\", ", "")))
        .extracting(PlanProblem::path).contains("$.destination.qmp");
  }

  private static List<PlanProblem> problems(String json) {
    return catchThrowableOfType(PlanValidationException.class, () -> PlanParser.parse(json)).problems();
  }
}
