package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The peer endpoints are parsed at the edge like the others: actions, or clear refusals. */
class IncomingRequestParserTest {
  private static final byte[] NONE = new byte[0];
  private static final String JSON = "application/json";

  @Test
  void theIncomingEndpointsBecomeTheirActions() {
    String plan = "{\"id\":\"vm1\",\"source\":{\"qmp\":\"/run/a.sock\"},"
        + "\"destination\":{\"qmp\":\"/run/b.sock\"},\"uri\":\"tcp:10.0.0.2:4444\"}";
    ApiAction create = RequestParser.parse("POST", "/v1/incoming", JSON, null, bytes(plan));
    assertThat(create).isInstanceOfSatisfying(ApiAction.CreateIncoming.class,
        c -> assertThat(c.plan().id()).isEqualTo("vm1"));
    assertThat(RequestParser.parse("POST", "/v1/incoming/vm1/plug", JSON, null,
        bytes("{\"devices\":{\"hostnet1\":{\"driver\":\"e1000e\",\"bus\":\"rp1\",\"addr\":0,\"x\":true}}}")))
        .isEqualTo(new ApiAction.PlugIncoming("vm1",
            Map.of("hostnet1", Map.of("driver", "e1000e", "bus", "rp1", "addr", 0L, "x", true))));
    assertThat(RequestParser.parse("POST", "/v1/incoming/vm1/commit", null, null, NONE))
        .isEqualTo(new ApiAction.CommitIncoming("vm1"));
    assertThat(RequestParser.parse("POST", "/v1/incoming/vm1/abort/", null, null, NONE))
        .isEqualTo(new ApiAction.AbortIncoming("vm1"));
    assertThat(RequestParser.parse("POST", "/v1/incoming/vm1/renew", null, null, NONE))
        .isEqualTo(new ApiAction.RenewIncoming("vm1"));
  }

  @Test
  void badIncomingRequestsAreRefusedWithTheirCode() {
    assertCode("GET", "/v1/incoming", NONE, "method_not_allowed");
    assertCode("GET", "/v1/incoming/vm1/commit", NONE, "method_not_allowed");
    assertCode("POST", "/v1/incoming", bytes("{\"id\":\"x\"}"), "invalid_plan");
    assertCode("POST", "/v1/incoming/vm1/commit", bytes("{}"), "unexpected_body");
    assertCode("POST", "/v1/incoming/vm1/renew", bytes("{}"), "unexpected_body");
    assertCode("GET", "/v1/incoming/vm1/renew", NONE, "method_not_allowed");
    assertCode("POST", "/v1/incoming/vm1/plug", bytes("[]"), "invalid_plug_request");
    assertCode("POST", "/v1/incoming/vm1/plug", bytes("{\"devices\":{\"n\":{\"bus\":\"rp1\"}}}"),
        "invalid_plug_request");
    assertCode("POST", "/v1/incoming/vm1/plug", bytes("{\"devices\":{\"n\":{\"driver\":\"e1000e\",\"id\":\"m\"}}}"),
        "invalid_plug_request");
    assertCode("POST", "/v1/incoming/vm1/plug",
        bytes("{\"devices\":{\"n\":{\"driver\":\"vfio-pci\",\"host\":\"../../x\"}}}"), "invalid_plug_request");
    assertCode("POST", "/v1/incoming/vm1/plug", bytes("{\"devices\":{\"n\":{\"driver\":{\"a\":{}}}}}"),
        "invalid_plug_request");
    assertCode("POST", "/v1/incoming/vm1/plug", bytes("{\"devices\":{}} trailing"), "invalid_plug_request");
    assertCode("POST", "/v1/incoming/vm1/launch", NONE, "not_found");
  }

  @Test
  void aFailoverIncomingPlanMustNameEachPrimarysStandby() {
    String plan = "{\"id\":\"vm1\",\"source\":{\"qmp\":\"/run/a.sock\"},"
        + "\"destination\":{\"qmp\":\"/run/b.sock\"},\"uri\":\"tcp:10.0.0.2:4444\",\"mode\":\"failover\","
        + "\"devices\":[{\"id\":\"hostdev0\",\"destination\":{\"driver\":\"e1000e\",\"failover_pair_id\":\"standby0\"}},"
        + "{\"id\":\"hostdev1\"}]}";
    assertThatThrownBy(() -> RequestParser.parse("POST", "/v1/incoming", JSON, null, bytes(plan)))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.code()).isEqualTo("invalid_plan");
          assertThat(e.problems()).singleElement().isEqualTo(Map.of(
              "path", "$.devices[1].destination.failover_pair_id",
              "message", "is required by a peer destination in failover mode: the id of the primary's standby"));
        });
    ApiAction named = RequestParser.parse("POST", "/v1/incoming", JSON, null,
        bytes(plan.replace("{\"id\":\"hostdev1\"}",
            "{\"id\":\"hostdev1\",\"destination\":{\"driver\":\"e1000e\",\"failover_pair_id\":\"standby1\"}}")));
    assertThat(named).isInstanceOfSatisfying(ApiAction.CreateIncoming.class,
        c -> assertThat(c.plan().devices()).hasSize(2));
  }

  private static void assertCode(String method, String path, byte[] body, String code) {
    assertThatThrownBy(() -> RequestParser.parse(method, path, JSON, null, body))
        .as(method + " " + path)
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
