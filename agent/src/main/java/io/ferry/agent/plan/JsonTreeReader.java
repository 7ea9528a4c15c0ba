package io.ferry.agent.plan;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Reads plan bytes into a Jackson tree by hand from the token stream, instead of {@code
 * ObjectMapper.readTree}, for two reasons: a duplicate key becomes a problem at its own path while
 * reading goes on (Jackson's strict duplicate detection stops at the first), and the path of a
 * syntax error is known. Nesting depth and scalar sizes are capped by {@link
 * StreamReadConstraints}.
 */
final class JsonTreeReader {

  /** A plan is 4 levels deep; 32 leaves room for any sane use and none for stack games. */
  static final int MAX_DEPTH = 32;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_DEPTH)
                  .maxNumberLength(64)
                  .maxStringLength(PlanParser.MAX_BYTES)
                  .build())
          .build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Problems problems;

  private JsonTreeReader(Problems problems) {
    this.problems = problems;
  }

  /**
   * Reads one JSON document.
   *
   * @return its tree, or {@code null} when it could not be read (the reason is in {@code problems})
   */
  static JsonNode read(byte[] json, Problems problems) {
    return new JsonTreeReader(problems).readDocument(json);
  }

  private JsonNode readDocument(byte[] json) {
    try (JsonParser parser = FACTORY.createParser(json)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        problems.add(JsonPath.ROOT, "the plan is empty; expected a JSON object");
        return null;
      }
      JsonNode root = value(parser, JsonPath.ROOT);
      if (parser.nextToken() != null) {
        problems.add(
            JsonPath.ROOT,
            "unexpected content after the plan's JSON object at line "
                + parser.currentLocation().getLineNr()
                + ", column "
                + parser.currentLocation().getColumnNr());
        return null;
      }
      return root;
    } catch (StreamConstraintsException e) {
      problems.add(pathOf(e), "the plan exceeds a size limit: " + e.getOriginalMessage()
          .replaceAll(",? *from `StreamReadConstraints[^`]*`", ""));
      return null;
    } catch (JsonProcessingException e) {
      problems.add(
          pathOf(e),
          "malformed JSON at line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ": "
              + e.getOriginalMessage());
      return null;
    } catch (CharConversionException e) {
      // Jackson guesses the encoding from the first bytes; some (a UTF-32 byte order it does not
      // support, an invalid sequence) end there, outside JsonProcessingException.
      problems.add(JsonPath.ROOT, "the plan is not JSON in UTF-8, UTF-16 or UTF-32: " + e.getMessage());
      return null;
    } catch (IOException e) {
      // Reading a byte array does no other I/O.
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The path of the value being read when the parser failed, from the parser's own context:
   * Jackson reads one token ahead, so the reader's position would be one field too early.
   */
  private static String pathOf(JsonProcessingException e) {
    if (!(e.getProcessor() instanceof JsonParser parser)) {
      return JsonPath.ROOT;
    }
    Deque<JsonStreamContext> chain = new ArrayDeque<>();
    for (JsonStreamContext c = parser.getParsingContext(); c != null && !c.inRoot();
        c = c.getParent()) {
      chain.push(c);
    }
    String path = JsonPath.ROOT;
    for (JsonStreamContext c : chain) {
      if (c.inObject() && c.getCurrentName() != null) {
        path = JsonPath.field(path, c.getCurrentName());
      } else if (c.inArray()) {
        path = JsonPath.index(path, Math.max(c.getCurrentIndex(), 0));
      }
    }
    return path;
  }

  private JsonNode value(JsonParser parser, String path) throws IOException {
    JsonToken token = parser.currentToken();
    return switch (token) {
      case START_OBJECT -> object(parser, path);
      case START_ARRAY -> array(parser, path);
      case VALUE_STRING -> NODES.textNode(parser.getText());
      case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
        case INT, LONG -> NODES.numberNode(parser.getLongValue());
        default -> NODES.numberNode(parser.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> NODES.numberNode(parser.getDoubleValue());
      case VALUE_TRUE -> NODES.booleanNode(true);
      case VALUE_FALSE -> NODES.booleanNode(false);
      case VALUE_NULL -> NODES.nullNode();
      default -> throw new IllegalStateException("unexpected JSON token " + token + " at " + path);
    };
  }

  private ObjectNode object(JsonParser parser, String path) throws IOException {
    ObjectNode node = NODES.objectNode();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      String child = JsonPath.field(path, name);
      parser.nextToken();
      JsonNode value = value(parser, child);
      if (node.has(name)) {
        // Keep the first: which one a JSON library would pick differs, so neither is trusted.
        problems.add(child, "duplicate key '" + name + "'");
      } else {
        node.set(name, value);
      }
    }
    return node;
  }

  private ArrayNode array(JsonParser parser, String path) throws IOException {
    ArrayNode node = NODES.arrayNode();
    int i = 0;
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      node.add(value(parser, JsonPath.index(path, i++)));
    }
    return node;
  }
}
