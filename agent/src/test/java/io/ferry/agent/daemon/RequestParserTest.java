package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import org.junit.jupiter.api.Test;

class RequestParserTest {
  private static final byte[] NONE = new byte[0];

  @Test
  void eachEndpointBecomesItsAction() {
    assertThat(RequestParser.parse("GET", "/v1/migrations/a.b-c", null, null, NONE))
        .isEqualTo(new ApiAction.GetMigration("a.b-c"));
    assertThat(RequestParser.parse("POST", "/v1/migrations/a/cancel", null, null, NONE))
        .isEqualTo(new ApiAction.CancelMigration("a"));
    assertThat(RequestParser.parse("GET", "/v1/migrations/a/events", null, "text/event-stream", NONE))
        .isEqualTo(new ApiAction.StreamEvents("a", StreamFormat.SSE));
    assertThat(RequestParser.parse("GET", "/v1/events", null, "*/*", NONE))
        .isEqualTo(new ApiAction.StreamEvents(null, StreamFormat.NDJSON));
    assertThat(RequestParser.parse("GET", "/metrics", null, null, NONE)).isEqualTo(new ApiAction.Metrics());
  }

  @Test
  void idsThatCannotBePlanIdsAreNotFoundAndBodiesOnGetsAreRefused() {
    assertThatThrownBy(() -> RequestParser.parse("GET", "/v1/migrations/..%2f", null, null, NONE))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(404));
    assertThatThrownBy(() -> RequestParser.parse("GET", "/healthz", null, null, new byte[] {'x'}))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("unexpected_body"));
  }
}
