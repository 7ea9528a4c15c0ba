package io.ferry.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlanParserTest {

  @Test
  void minimalPlanGetsEveryDefault() {
    MigrationPlan plan = PlanParser.parse(Plans.MINIMAL);

    assertThat(plan.id()).isNotBlank();
    assertThat(plan.source()).isEqualTo(Endpoint.local(Path.of("/run/vm1/src.qmp")));
    assertThat(plan.destination()).isEqualTo(Endpoint.local(Path.of("/run/vm1/dst.qmp")));
    assertThat(plan.uri()).isEqualTo(new MigrationUri.Unix(Path.of("/run/vm1/mig.sock")));
    assertThat(plan.mode()).isEqualTo(Mode.UNPLUG_REPLUG);
    assertThat(plan.commit()).isEqualTo(CommitPolicy.AFTER_REPLUG);
    assertThat(plan.devices()).isEmpty();
    assertThat(plan.timeouts())
        .isEqualTo(new Timeouts(Duration.ofSeconds(10), Duration.ofMinutes(10),
            Duration.ofSeconds(5)));
    assertThat(plan.migration().capabilities()).isEmpty();
    assertThat(plan.migration().parameters())
        .containsExactly(Map.entry("max-bandwidth", 9223372036853727232L));
  }

  @Test
  void generatedIdsDiffer() {
    assertThat(PlanParser.parse(Plans.MINIMAL).id()).isNotEqualTo(PlanParser.parse(Plans.MINIMAL).id());
  }

  @Test
  void fullPlanKeepsEveryValue() {
    MigrationPlan plan = PlanParser.parse(Plans.FULL);

    assertThat(plan.id()).isEqualTo("vm1-to-b");
    assertThat(plan.destination().agent()).contains(URI.create("https://host-b:7443"));
    assertThat(plan.uri()).isEqualTo(new MigrationUri.Tcp("host-b", 4444));
    assertThat(plan.commit()).isEqualTo(CommitPolicy.BEFORE_REPLUG);
    assertThat(plan.devices()).hasSize(2);
    DevicePlan first = plan.devices().get(0);
    assertThat(first.id()).isEqualTo("hostnet1");
    assertThat(first.policy()).isEqualTo(DevicePolicy.REQUISITE);
    assertThat(first.destinationProperties().orElseThrow())
        .containsExactly(
            Map.entry("driver", "vfio-pci"),
            Map.entry("host", "0000:3b:01.0"),
            Map.entry("bus", "rp2"),
            Map.entry("rombar", 0L),
            Map.entry("x-enable-migration", false));
    assertThat(plan.devices().get(1))
        .isEqualTo(DevicePlan.sameAsSource("hostnet2", DevicePolicy.MANDATORY));
    assertThat(plan.timeouts())
        .isEqualTo(new Timeouts(Duration.ofMillis(500), Duration.ofMinutes(2), Duration.ofHours(1)));
    assertThat(plan.migration().capabilities())
        .containsExactly(Map.entry("auto-converge", true), Map.entry("events", true));
    assertThat(plan.migration().parameters())
        .containsExactly(
            Map.entry("downtime-limit", 300L),
            Map.entry("max-bandwidth", 0L),
            Map.entry("multifd-compression", "none"),
            Map.entry("x-ratio", 0.5));
  }

  @Test
  void failoverModeParses() {
    MigrationPlan plan = PlanParser.parse(Plans.MINIMAL.replace("\"uri\"", "\"mode\": \"failover\", \"uri\""));
    assertThat(plan.mode()).isEqualTo(Mode.FAILOVER);
  }

  @Test
  void roundTripThroughPlanJson() {
    for (String json : List.of(Plans.MINIMAL, Plans.FULL)) {
      MigrationPlan plan = PlanParser.parse(json);
      String written = PlanJson.write(plan);
      assertThat(PlanParser.parse(written)).isEqualTo(plan);
      assertThat(PlanJson.write(PlanParser.parse(written))).isEqualTo(written);
    }
  }

  @Test
  void ipv6TcpUriRoundTrips() {
    MigrationPlan plan = PlanParser.parse(Plans.MINIMAL.replace("unix:/run/vm1/mig.sock", "tcp:[fd00::1]:4444"));
    assertThat(plan.uri()).isEqualTo(new MigrationUri.Tcp("fd00::1", 4444));
    assertThat(plan.uri().toQemuUri()).isEqualTo("tcp:[fd00::1]:4444");
    assertThat(PlanParser.parse(PlanJson.write(plan))).isEqualTo(plan);
  }

  /** One bad value in an otherwise valid plan: exactly one problem, at that value's path. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "unix:/run/vm1/mig.sock", "colour": 1 | $.colour | unknown field; allowed here: commit, destination, devices, id, migration, mode, source, timeouts, uri
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "ftp:/x"                        | $.uri                     | not a supported migration URI
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "unix:relative.sock"            | $.uri                     | must be absolute
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "tcp:host:0"                    | $.uri                     | port 0 is not in 1-65535
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "tcp:host"                      | $.uri                     | not tcp:HOST:PORT
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "tcp:bad_host!:1"               | $.uri                     | not a host name
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "unix:/run/vm1/src.qmp"         | $.uri                     | QMP monitor socket
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": 7                               | $.uri                     | must be a string, not a number
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": null                            | $.uri                     | must be a string, not null (omit the field instead)
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "unix:/run/vm1/mig.sock", "mode": "migrate" | $.mode    | 'migrate' is not one of "unplug-replug", "failover"
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "unix:/run/vm1/mig.sock", "commit": "never" | $.commit  | 'never' is not one of "after-replug", "before-replug"
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "unix:/run/vm1/mig.sock", "id": "-x"        | $.id      | is not a plan id
      "uri": "unix:/run/vm1/mig.sock"                    | "uri": "unix:/run/vm1/mig.sock", "devices": {}     | $.devices | must be an array of devices, not an object
      "/run/vm1/dst.qmp"}                                | "/run/vm1/src.qmp"}                    | $.destination.qmp         | is the same socket as $.source.qmp
      "/run/vm1/dst.qmp"}                                | "/run/vm1/dst.qmp", "port": 1}         | $.destination.port        | unknown field; allowed here: agent, qmp
      "/run/vm1/dst.qmp"}                                | "/run/vm1/dst.qmp", "agent": "http://b:1"} | $.destination.agent   | is not an agent address of the form https://host:port
      "/run/vm1/dst.qmp"}                                | "/run/vm1/dst.qmp", "agent": "https://b"}  | $.destination.agent   | is not an agent address of the form https://host:port
      "/run/vm1/dst.qmp"}                                | "dst.qmp"}                             | $.destination.qmp         | must be absolute
      "/run/vm1/dst.qmp"}                                | "/run/vm1/ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ.qmp"} | $.destination.qmp | a unix socket path holds at most 107 bytes
      "destination": {"qmp": "/run/vm1/dst.qmp"},       | "destination": "/run/vm1/dst.qmp",     | $.destination             | must be an object, not a string
      "destination": {"qmp": "/run/vm1/dst.qmp"},       | "destination": {},                     | $.destination.qmp         | is required
      "destination": {"qmp": "/run/vm1/dst.qmp"},       | ""                                     | $.destination             | is required
      """)
  void eachRejectionIsReportedAtItsPath(String from, String to, String path, String message) {
    String json = Plans.MINIMAL.replace(from, to.equals("\"\"") ? "" : to);
    assertThat(json).isNotEqualTo(Plans.MINIMAL);

    List<PlanProblem> problems = problemsOf(json);

    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).path()).isEqualTo(path);
    assertThat(problems.get(0).message()).contains(message);
  }

  /** A bad value inside the full plan: exactly one problem, at that value's path. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      "0000:3b:01.0"                 | "0000:3b:01"                       | $.devices[0].destination.host    | is not a PCI address DDDD:BB:DD.F
      "0000:3b:01.0"                 | "0000:3B:01.0"                     | $.devices[0].destination.host    | must be lowercase hex as sysfs spells it: '0000:3b:01.0'
      "0000:3b:01.0"                 | "0000:3b:20.0"                     | $.devices[0].destination.host    | device 00-1f
      "0000:3b:01.0"                 | "0000:3b:01.8"                     | $.devices[0].destination.host    | function 0-7
      "0000:3b:01.0"                 | 42                                 | $.devices[0].destination.host    | must be a string
      "rp2"                          | "2rp"                              | $.devices[0].destination.bus     | is not a valid QEMU id
      "driver": "vfio-pci",          | "id": "x", "driver": "vfio-pci",   | $.devices[0].destination.id      | must not be set
      "driver": "vfio-pci",          | "driver": "vfio-pci", "opts": {"a":1}, | $.devices[0].destination.opts | must be a string, number or boolean, not an object
      "driver": "vfio-pci",          | "driver": "vfio-pci", "a b": 1,    | $.devices[0].destination['a b']  | is not a device property name
      "driver": "vfio-pci",          | "driver": "vfio pci",              | $.devices[0].destination.driver  | is not a QEMU device driver name
      "driver": "vfio-pci",          | ""                                 | $.devices[0].destination.driver  | is required when destination properties are given
      "hostnet1", "policy"           | "1hostnet", "policy"               | $.devices[0].id                  | is not a valid QEMU id
      "hostnet1", "policy"           | "host net", "policy"               | $.devices[0].id                  | is not a valid QEMU id
      "hostnet1", "policy"           | "hostnet2", "policy"               | $.devices[1].id                  | duplicate device id 'hostnet2' (also at $.devices[0])
      "requisite"                    | "required"                         | $.devices[0].policy              | 'required' is not one of "mandatory", "requisite", "optional"
      {"id": "hostnet2"}             | {"id": "hostnet2", "when": "now"}  | $.devices[1].when                | unknown field; allowed here: destination, id, policy
      {"id": "hostnet2"}             | {"policy": "optional"}             | $.devices[1].id                  | is required
      {"id": "hostnet2"}             | "hostnet2"                         | $.devices[1]                     | must be an object, not a string
      "500ms"                        | "0ms"                              | $.timeouts.unplug                | is not a duration
      "500ms"                        | "10"                               | $.timeouts.unplug                | is not a duration
      "500ms"                        | "1.5s"                             | $.timeouts.unplug                | is not a duration
      "500ms"                        | "10 s"                             | $.timeouts.unplug                | is not a duration
      "500ms"                        | "-1s"                              | $.timeouts.unplug                | is not a duration
      "500ms"                        | 500                                | $.timeouts.unplug                | must be a string, not a number
      "1h"                           | "25h"                              | $.timeouts.replug                | longer than the maximum of 24h
      "1h"                           | "86400001ms"                       | $.timeouts.replug                | longer than the maximum of 24h
      "replug": "1h"                 | "replug": "1h", "cancel": "1s"     | $.timeouts.cancel                | unknown field; allowed here: lease, migration, replug, unplug
      "events": true                 | "events": false                    | $.migration.capabilities.events  | cannot be false
      "events": true                 | "events": "yes"                    | $.migration.capabilities.events  | must be a boolean, not a string
      "events": true                 | "Events": true                     | $.migration.capabilities.Events  | is not a migration capability name
      "downtime-limit": 300          | "downtime-limit": 2000001          | $.migration.parameters.downtime-limit | must be a whole number of milliseconds from 0 to 2000000
      "downtime-limit": 300          | "downtime-limit": "300"            | $.migration.parameters.downtime-limit | must be a whole number of milliseconds
      "max-bandwidth": 0             | "max-bandwidth": -1                | $.migration.parameters.max-bandwidth  | must be a whole number of bytes per second from 0
      "max-bandwidth": 0             | "max-bandwidth": 1e3               | $.migration.parameters.max-bandwidth  | must be a whole number of bytes per second
      "max-bandwidth": 0             | "max-bandwidth": 18446744073709551616 | $.migration.parameters.max-bandwidth | is out of range
      "x-ratio": 0.5                 | "x-ratio": [1]                     | $.migration.parameters.x-ratio   | must be a string, number or boolean, not an array
      "parameters":                  | "knobs": {}, "parameters":         | $.migration.knobs                | unknown field; allowed here: capabilities, parameters
      """)
  void eachRejectionInTheFullPlanIsReportedAtItsPath(
      String from, String to, String path, String message) {
    String json = Plans.FULL.replaceFirst(java.util.regex.Pattern.quote(from),
        java.util.regex.Matcher.quoteReplacement(to.equals("\"\"") ? "" : to));
    assertThat(json).isNotEqualTo(Plans.FULL);

    List<PlanProblem> problems = problemsOf(json);

    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).path()).isEqualTo(path);
    assertThat(problems.get(0).message()).contains(message);
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    String json = """
        {"id": "ok",
         "source": {"qmp": "relative.qmp", "extra": true},
         "destination": {"qmp": 5},
         "uri": "udp:x",
         "mode": "teleport",
         "devices": [{"id": "a", "destination": {"driver": "vfio-pci", "host": "3b:01.0"}},
                     {"id": "a"},
                     {"id": "9"}],
         "timeouts": {"unplug": "forever"},
         "migration": {"capabilities": {"events": false}},
         "surprise": 1}
        """;

    assertThat(problemsOf(json))
        .extracting(PlanProblem::path)
        .containsExactlyInAnyOrder(
            "$.surprise",
            "$.source.extra",
            "$.source.qmp",
            "$.destination.qmp",
            "$.uri",
            "$.mode",
            "$.devices[0].destination.host",
            "$.devices[1].id",
            "$.devices[2].id",
            "$.timeouts.unplug",
            "$.migration.capabilities.events");
  }

  @Test
  void theExceptionMessageListsEveryProblem() {
    PlanValidationException e = catchThrowableOfType(PlanValidationException.class,
        () -> PlanParser.parse("{\"uri\": \"x\"}"));
    assertThat(e.getMessage())
        .startsWith("invalid migration plan (3 problems):")
        .contains("$.source: is required", "$.destination: is required", "$.uri: ");
  }

  @Test
  void duplicateJsonKeysAreReportedEachAtItsPathAndParsingGoesOn() {
    String json = """
        {"source": {"qmp": "/a.qmp", "qmp": "/b.qmp"},
         "destination": {"qmp": "/c.qmp"},
         "uri": "unix:/m.sock",
         "uri": "unix:/n.sock",
         "mode": "nonsense"}
        """;
    assertThat(problemsOf(json))
        .extracting(PlanProblem::path, PlanProblem::message)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("$.source.qmp", "duplicate key 'qmp'"),
            org.assertj.core.groups.Tuple.tuple("$.uri", "duplicate key 'uri'"),
            org.assertj.core.groups.Tuple.tuple("$.mode",
                "'nonsense' is not one of \"unplug-replug\", \"failover\""));
  }

  @Test
  void malformedJsonIsOneProblemWithLineAndColumn() {
    List<PlanProblem> problems =
        problemsOf("{\"source\": {\"qmp\": \"/a.qmp\"},\n \"destination\": {\"qmp\": }}");
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).path()).isEqualTo("$.destination.qmp");
    assertThat(problems.get(0).message()).startsWith("malformed JSON at line 2, column ");
  }

  /** Found by ApiFuzzTest: bytes Jackson takes for an unsupported UTF-32 order were a 500. */
  @Test
  void bytesThatLookLikeAnUnsupportedEncodingAreOneProblem() {
    assertThat(problemsOf("\u0000\u0000{\u0000"))
        .singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("$");
          assertThat(p.message()).startsWith("the plan is not JSON in UTF-8, UTF-16 or UTF-32: ");
        });
  }

  @Test
  void contentAfterThePlanIsRejected() {
    assertThat(problemsOf(Plans.MINIMAL + " {}"))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("unexpected content after"));
  }

  @Test
  void emptyInputAndNonObjectsAreRejected() {
    assertThat(problemsOf("  ")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("the plan is empty"));
    assertThat(problemsOf("[1,2]")).singleElement()
        .isEqualTo(new PlanProblem("$", "must be an object, not an array"));
  }

  @Test
  void nestingDeeperThanTheCapIsOneProblem() {
    String deep = "{\"x\":".repeat(JsonTreeReader.MAX_DEPTH + 1) + "1"
        + "}".repeat(JsonTreeReader.MAX_DEPTH + 1);
    List<PlanProblem> problems = problemsOf(deep);
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).message()).contains("exceeds a size limit").contains("nesting depth");
  }

  @Test
  void nestingUpToTheCapIsAcceptedByTheReader() {
    // Depth 32 exactly inside a device property: the reader accepts it; the validator then
    // rejects the object value for what it is, not for its depth.
    String nested = "{\"x\":".repeat(JsonTreeReader.MAX_DEPTH - 4) + "1"
        + "}".repeat(JsonTreeReader.MAX_DEPTH - 4);
    String json = Plans.FULL.replace("\"rombar\": 0", "\"rombar\": " + nested);
    assertThat(problemsOf(json)).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("must be a string, number or boolean"));
  }

  @Test
  void oversizedPlanIsOneProblemWhateverElseIsWrong() {
    String padding = " ".repeat(PlanParser.MAX_BYTES);
    List<PlanProblem> problems = problemsOf("{\"nonsense\": 1}" + padding);
    assertThat(problems).singleElement()
        .isEqualTo(new PlanProblem("$", "the plan is " + (PlanParser.MAX_BYTES + 15)
            + " bytes; at most 1048576 bytes (1 MiB) are accepted"));
  }

  @Test
  void oversizedStreamIsRejectedAfterReadingOneByteMoreThanTheCap() throws IOException {
    byte[] big = new byte[PlanParser.MAX_BYTES * 3];
    java.util.Arrays.fill(big, (byte) ' ');
    ByteArrayInputStream in = new ByteArrayInputStream(big);
    assertThatThrownBy(() -> PlanParser.parse(in))
        .isInstanceOf(PlanValidationException.class)
        .hasMessageContaining("more than 1048576 bytes");
    assertThat(in.available()).isEqualTo(big.length - PlanParser.MAX_BYTES - 1);
  }

  @Test
  void streamAndBytesParseLikeStrings() throws IOException {
    byte[] bytes = Plans.FULL.getBytes(StandardCharsets.UTF_8);
    assertThat(PlanParser.parse(new ByteArrayInputStream(bytes))).isEqualTo(PlanParser.parse(Plans.FULL));
    assertThat(PlanParser.parse(bytes)).isEqualTo(PlanParser.parse(Plans.FULL));
  }

  @Test
  void invalidUtf8IsMalformedJson() {
    byte[] bytes = Plans.MINIMAL.getBytes(StandardCharsets.UTF_8);
    bytes[bytes.length - 5] = (byte) 0xff;
    PlanValidationException e =
        catchThrowableOfType(PlanValidationException.class, () -> PlanParser.parse(bytes));
    assertThat(e.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("malformed JSON"));
  }

  @Test
  void tooManyDevicesIsOneProblem() {
    StringBuilder devices = new StringBuilder();
    for (int i = 0; i <= PlanReader.MAX_DEVICES; i++) {
      devices.append(i == 0 ? "" : ",").append("{\"id\":\"d").append(i).append("\"}");
    }
    String json = Plans.MINIMAL.replace("\"uri\"", "\"devices\": [" + devices + "], \"uri\"");
    assertThat(problemsOf(json)).singleElement()
        .isEqualTo(new PlanProblem("$.devices", "has 257 devices; at most 256 are allowed"));
  }

  @Test
  void planWithoutDevicesIsAPlainMigration() {
    MigrationPlan plan =
        PlanParser.parse(Plans.MINIMAL.replace("\"uri\"", "\"devices\": [], \"uri\""));
    assertThat(plan.devices()).isEmpty();
  }

  @Test
  void recordsAreImmutable() {
    MigrationPlan plan = PlanParser.parse(Plans.FULL);
    assertThatThrownBy(() -> plan.devices().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> plan.devices().get(0).destinationProperties().orElseThrow().put("a", 1))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> plan.migration().parameters().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(plan.devices().get(1).destinationProperties()).isEqualTo(Optional.empty());
  }

  static List<PlanProblem> problemsOf(String json) {
    PlanValidationException e =
        catchThrowableOfType(PlanValidationException.class, () -> PlanParser.parse(json));
    assertThat(e).as("plan should be rejected:\n%s", json).isNotNull();
    return e.problems();
  }
}
