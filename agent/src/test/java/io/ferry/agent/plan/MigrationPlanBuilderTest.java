package io.ferry.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MigrationPlanBuilderTest {

  @Test
  void builderMakesTheSamePlanAsTheJson() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("driver", "vfio-pci");
    props.put("host", "0000:3b:01.0");
    props.put("bus", "rp2");
    props.put("rombar", 0);
    props.put("x-enable-migration", false);

    MigrationPlan built = MigrationPlan.builder()
        .id("vm1-to-b")
        .source(Path.of("/run/vm1/src.qmp"))
        .destination(new Endpoint(Path.of("/run/vm1/dst.qmp"),
            Optional.of(URI.create("https://host-b:7443"))))
        .uri(new MigrationUri.Tcp("host-b", 4444))
        .commit(CommitPolicy.BEFORE_REPLUG)
        .device(new DevicePlan("hostnet1", DevicePolicy.REQUISITE, Optional.of(props)))
        .device("hostnet2")
        .timeouts(new Timeouts(Duration.ofMillis(500), Duration.ofMinutes(2), Duration.ofHours(1)))
        .capability("auto-converge", true)
        .capability("events", true)
        .parameter("downtime-limit", 300)
        .parameter("max-bandwidth", 0L)
        .parameter("multifd-compression", "none")
        .parameter("x-ratio", 0.5)
        .build();

    assertThat(built).isEqualTo(PlanParser.parse(Plans.FULL));
  }

  @Test
  void builderAppliesTheParsersDefaults() {
    MigrationPlan built = MigrationPlan.builder()
        .source(Path.of("/run/vm1/src.qmp"))
        .destination(Path.of("/run/vm1/dst.qmp"))
        .uri("unix:/run/vm1/mig.sock")
        .build();
    MigrationPlan parsed = PlanParser.parse(Plans.MINIMAL);

    assertThat(built.id()).isNotBlank();
    assertThat(new MigrationPlan(parsed.id(), built.source(), built.destination(), built.uri(),
        built.mode(), built.commit(), built.devices(), built.timeouts(), built.migration()))
        .isEqualTo(parsed);
  }

  @Test
  void emptyBuilderReportsEveryMissingField() {
    PlanValidationException e = catchThrowableOfType(PlanValidationException.class,
        () -> MigrationPlan.builder().build());
    assertThat(e.problems()).extracting(PlanProblem::path)
        .containsExactly("$.source", "$.destination", "$.uri");
  }

  @Test
  void builderReportsProblemsAtTheSamePathsAsTheJson() {
    PlanValidationException e = catchThrowableOfType(PlanValidationException.class,
        () -> MigrationPlan.builder()
            .source(Path.of("/run/a.qmp"))
            .destination(Path.of("/run/a.qmp"))
            .uri("tcp:host:99999")
            .device("ok")
            .device(new DevicePlan("2bad", DevicePolicy.OPTIONAL,
                Optional.of(Map.of("driver", "vfio-pci", "host", "0000:3B:01.0"))))
            .device("ok")
            .unplugTimeout(Duration.ofNanos(1_500_000))
            .replugTimeout(Duration.ofHours(25))
            .capability("events", false)
            .parameter("downtime-limit", -5)
            .parameter("weird", Duration.ofSeconds(1))
            .build());

    assertThat(e.problems())
        .extracting(PlanProblem::path)
        .containsExactlyInAnyOrder(
            "$.destination.qmp",
            "$.uri",
            "$.devices[1].id",
            "$.devices[1].destination.host",
            "$.devices[2].id",
            "$.timeouts.unplug",
            "$.timeouts.replug",
            "$.migration.capabilities.events",
            "$.migration.parameters.downtime-limit",
            "$.migration.parameters.weird");
    assertThat(e.problems())
        .filteredOn(p -> p.path().equals("$.migration.parameters.weird"))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("a Java java.time.Duration"));
  }

  @Test
  void handMadeRecordsAreCheckedByTheSameRules() {
    MigrationPlan valid = PlanParser.parse(Plans.FULL);
    assertThat(PlanValidation.check(valid)).isEqualTo(valid);

    MigrationPlan bad = new MigrationPlan("bad id", valid.source(), valid.source(), valid.uri(),
        valid.mode(), valid.commit(),
        List.of(DevicePlan.sameAsSource("a", DevicePolicy.MANDATORY),
            DevicePlan.sameAsSource("a", DevicePolicy.OPTIONAL)),
        new Timeouts(Duration.ZERO, Duration.ofMinutes(1), Duration.ofSeconds(1)),
        valid.migration());
    PlanValidationException e =
        catchThrowableOfType(PlanValidationException.class, () -> PlanValidation.check(bad));
    assertThat(e.problems()).extracting(PlanProblem::path)
        .containsExactlyInAnyOrder("$.id", "$.destination.qmp", "$.devices[1].id",
            "$.timeouts.unplug");
  }
}
