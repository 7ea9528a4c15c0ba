package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventFramesTest {

  private static String text(ByteBuf frame) {
    try {
      return frame.toString(StandardCharsets.UTF_8);
    } finally {
      frame.release();
    }
  }

  @Test
  void everyStreamOfOneEventSharesOneEncoding() {
    EventFrames frames = new EventFrames();
    MigrationEvent e = Events.started("m1", 0, Phase.PREFLIGHT);
    ByteBuf first = frames.frame(StreamFormat.NDJSON, e);
    ByteBuf second = frames.frame(StreamFormat.NDJSON, e);
    try {
      assertThat(second.array()).as("the same encoded bytes, not a second encoding").isSameAs(first.array());
    } finally {
      first.release();
      second.release();
    }
  }

  @Test
  void eachEventGetsItsOwnFrameWhenMoreEventsThanSlotsInterleave() {
    EventFrames frames = new EventFrames();
    List<MigrationEvent> events = new ArrayList<>();
    for (int seq = 0; seq < 2000; seq++) {
      events.add(Events.started("m" + (seq % 7), seq, Phase.MIGRATE));
    }
    // Twice over, so that slots are both reused by the same event and taken over by others.
    for (int round = 0; round < 2; round++) {
      for (MigrationEvent e : events) {
        String line = EventJson.toLine(e);
        assertThat(text(frames.frame(StreamFormat.NDJSON, e))).isEqualTo(line + "\n");
        assertThat(text(frames.frame(StreamFormat.SSE, e))).isEqualTo(
            "id: " + e.migration() + "/" + e.seq() + "\nevent: started\ndata: " + line + "\n\n");
      }
    }
  }
}
