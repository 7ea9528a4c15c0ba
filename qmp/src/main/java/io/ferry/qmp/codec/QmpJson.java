package io.ferry.qmp.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson mapper of the QMP library: thread-safe, built once, never per command. */
public final class QmpJson {
  /**
   * Deepest nesting accepted from QEMU. Real replies nest a few levels per PCI bridge; hostile
   * input nested thousands deep must not exhaust the stack of the I/O thread.
   */
  public static final int MAX_NESTING_DEPTH = 128;

  public static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private QmpJson() {}
}
