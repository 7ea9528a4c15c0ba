package io.ferry.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
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
  void failoverIsAcceptedWithAPeerDestination() {
    MigrationPlan plan = PlanParser.parse(PEER.replace("\"uri\"", "\"mode\": \"failover\", \"uri\""));
    assertThat(plan.mode()).isEqualTo(Mode.FAILOVER);
    assertThat(plan.destination().agent()).isPresent();
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

  @Test
  void aPeerPlanMayAskForItsOwnLeaseWhichSurvivesTheJsonForm() {
    MigrationPlan plan = PlanParser.parse(withTimeouts(PEER, "{\"lease\": \"15s\"}"));
    assertThat(plan.timeouts().lease()).contains(Duration.ofSeconds(15));
    assertThat(PlanParser.parse(PlanJson.write(plan))).isEqualTo(plan); // what the source sends the peer
    assertThat(PlanParser.parse(PEER).timeouts().lease()).as("unset: the peer daemon's own").isEmpty();
    MigrationPlan built = new MigrationPlanBuilder().source(Path.of("/run/a.sock"))
        .destination(new Endpoint(Path.of("/run/b.sock"), java.util.Optional.of(URI.create("https://10.0.0.2:7443"))))
        .uri("tcp:10.0.0.2:4444").lease(Duration.ofSeconds(15)).build();
    assertThat(built.timeouts().lease()).contains(Duration.ofSeconds(15));
  }

  @Test
  void aLeaseOutsideItsBoundsOrNotADurationIsRefusedAtItsPath() {
    assertThat(problems(withTimeouts(PEER, "{\"lease\": \"1s\"}"))).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("$.timeouts.lease");
      assertThat(p.message()).contains("between 3s and 1h");
    });
    assertThat(problems(withTimeouts(PEER, "{\"lease\": \"2h\"}")))
        .extracting(PlanProblem::path).containsExactly("$.timeouts.lease");
    assertThat(problems(withTimeouts(PEER, "{\"lease\": \"soon\"}")))
        .extracting(PlanProblem::path).containsExactly("$.timeouts.lease");
  }

  @Test
  void aLeaseWithoutAPeerDestinationIsRefused() {
    String local = PEER.replace("\"agent\": \"https://10.0.0.2:7443\", \"qmp\": \"/run/vm1/qmp.sock\"",
        "\"qmp\": \"/run/vm1/other.sock\"");
    assertThat(PlanParser.parse(local).destination().agent()).isEmpty();
    assertThat(problems(withTimeouts(local, "{\"lease\": \"15s\"}"))).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("$.timeouts.lease");
      assertThat(p.message()).contains("applies only to a peer agent destination");
    });
  }

  private static String withTimeouts(String plan, String timeouts) {
    return plan.replace("\"uri\"", "\"timeouts\": " + timeouts + ", \"uri\"");
  }

  private static List<PlanProblem> problems(String json) {
    return catchThrowableOfType(PlanValidationException.class, () -> PlanParser.parse(json)).problems();
  }
}
