package io.ferry.qmp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QmpEncoderTest {
  private final EmbeddedChannel channel = new EmbeddedChannel(new QmpEncoder());

  private String encode(QmpRequest request) {
    channel.writeOutbound(request);
    ByteBuf out = channel.readOutbound();
    try {
      return out.toString(StandardCharsets.UTF_8);
    } finally {
      out.release();
    }
  }

  @Test
  void commandWithoutArgumentsIsOneLineWithId() {
    assertThat(encode(new QmpRequest(7, "query-status", null, false)))
        .isEqualTo("{\"execute\":\"query-status\",\"id\":7}\n");
  }

  @Test
  void argumentsAreWrittenAsGiven() {
    ObjectNode args = QmpJson.MAPPER.createObjectNode().put("id", "nic1");
    assertThat(encode(new QmpRequest(8, "device_del", args, false)))
        .isEqualTo("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"nic1\"},\"id\":8}\n");
  }

  @Test
  void aMapOfPlainValuesIsWrittenWithoutATree() {
    Map<String, Object> capability = new LinkedHashMap<>();
    capability.put("capability", "events");
    capability.put("state", true);
    Map<String, Object> args = Map.of("capabilities", List.of(capability));
    assertThat(encode(new QmpRequest(3, "migrate-set-capabilities", args, false)))
        .isEqualTo(
            "{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
                + "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]},\"id\":3}\n");
  }

  @Test
  void oobCommandsUseExecOob() {
    assertThat(encode(new QmpRequest(9, "migrate-pause", null, true)))
        .isEqualTo("{\"exec-oob\":\"migrate-pause\",\"id\":9}\n");
  }

  @Test
  void outputIsAlwaysASingleLineEvenWithNewlinesInStrings() {
    ObjectNode args = QmpJson.MAPPER.createObjectNode().put("opaque", "a\nb");
    String line = encode(new QmpRequest(1, "add-fd", args, false));
    assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
  }
}
