package io.ferry.qmp.transcripts;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A recorded QEMU session, split into what QEMU sent unprompted at first (the greeting) and one
 * exchange per client frame: the request and every frame QEMU sent until the next request.
 */
public record Transcript(String name, List<String> greeting, List<Exchange> exchanges) {
  static final ObjectMapper LENIENT = new ObjectMapper();

  /** {@code closeAfter}: QEMU closed the socket after these responses. */
  public record Exchange(JsonNode request, List<String> responses, boolean closeAfter) {
    public String command() {
      return request.path("execute").asText(request.path("exec-oob").asText());
    }

    public JsonNode arguments() {
      return request.get("arguments");
    }

    public JsonNode recordedId() {
      return request.get("id");
    }
  }

  public static Transcript load(String name) {
    String resource = "/transcripts/" + name + ".jsonl";
    try (InputStream in = Transcript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no transcript " + resource);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<String> greeting = new ArrayList<>();
      List<Exchange> exchanges = new ArrayList<>();
      JsonNode request = null;
      List<String> responses = greeting;
      boolean closed = false;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        JsonNode entry = LENIENT.readTree(line);
        switch (entry.path("dir").asText()) {
          case "s2c" -> responses.add(entry.path("line").asText());
          case "close" -> closed = true;
          case "c2s" -> {
            if (request != null) {
              exchanges.add(new Exchange(request, List.copyOf(responses), false));
            }
            request = parseFirstObject(entry.path("line").asText());
            responses = new ArrayList<>();
          }
          default -> throw new IllegalStateException("bad transcript entry " + line);
        }
      }
      if (request != null) {
        exchanges.add(new Exchange(request, List.copyOf(responses), closed));
      }
      return new Transcript(name, List.copyOf(greeting), List.copyOf(exchanges));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first JSON value of a frame (recorded frames may carry deliberate junk after it). */
  static JsonNode parseFirstObject(String line) throws IOException {
    try (JsonParser parser = LENIENT.getFactory().createParser(line)) {
      return LENIENT.readTree(parser);
    }
  }
}
