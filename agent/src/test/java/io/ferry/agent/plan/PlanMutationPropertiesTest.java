package io.ferry.agent.plan;

import static io.ferry.agent.testing.Property.forAll;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.agent.testing.Property;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Random damage to a valid plan never escapes as anything but a PlanValidationException. */
class PlanMutationPropertiesTest {

  private static final AtomicInteger accepted = new AtomicInteger();
  private static final AtomicInteger rejected = new AtomicInteger();
  private static final String INSERTABLE = "{}[]\",:0aZ\\ \u0000";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String[] STRINGS = {"", " ", "x", "10s", "0ms", "unix:/x", "tcp:a:1",
      "0000:00:01.0", "mandatory", "failover", "after-replug", "\u0000", "é", "/run/a.qmp",
      "https://a:1", "a".repeat(300), "-1", "null"};
  private static final String[] NAMES = {"id", "qmp", "agent", "uri", "devices", "policy", "host",
      "driver", "bus", "unplug", "events", "max-bandwidth", "downtime-limit", "x", "a b", "",
      "destination", "source", "timeouts", "migration", "capabilities", "parameters"};

  @Test
  void mutatedTreesParseOrFailWithPlanValidationOnly() {
    accepted.set(0);
    rejected.set(0);
    forAll(1_000, r -> {
      JsonNode tree = readFull();
      int mutations = 1 + r.nextInt(3);
      for (int i = 0; i < mutations; i++) {
        tree = mutate(tree, r);
      }
      return tree.toString();
    }, PlanMutationPropertiesTest::parsesOrIsRejectedCleanly);
    // Both outcomes must occur, or the mutations are not exploring what they should.
    assertThat(accepted).hasPositiveValue();
    assertThat(rejected).hasPositiveValue();
  }

  @Test
  void mutatedTextParsesOrFailsWithPlanValidationOnly() {
    forAll(1_000, r -> {
      StringBuilder text = new StringBuilder(Plans.FULL);
      int edits = 1 + r.nextInt(4);
      for (int i = 0; i < edits && text.length() > 0; i++) {
        int at = r.nextInt(text.length());
        switch (r.nextInt(3)) {
          case 0 -> text.deleteCharAt(at);
          case 1 -> text.insert(at, INSERTABLE.charAt(r.nextInt(INSERTABLE.length())));
          default -> text.setCharAt(at, (char) (32 + r.nextInt(95)));
        }
      }
      return text.toString();
    }, PlanMutationPropertiesTest::parsesOrIsRejectedCleanly);
  }

  private static void parsesOrIsRejectedCleanly(String json) {
    MigrationPlan plan;
    try {
      plan = PlanParser.parse(json);
    } catch (PlanValidationException e) {
      assertThat(e.problems()).isNotEmpty()
          .allSatisfy(p -> assertThat(p.path()).startsWith("$"));
      rejected.incrementAndGet();
      return;
    }
    accepted.incrementAndGet();
    // Accepted: then it is a plan that survives its own round trip.
    assertThat(PlanParser.parse(PlanJson.write(plan))).isEqualTo(plan);
  }

  private static JsonNode readFull() {
    try {
      return MAPPER.readTree(Plans.FULL);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode mutate(JsonNode root, Random r) {
    List<JsonNode> containers = new ArrayList<>();
    collectContainers(root, containers);
    if (containers.isEmpty()) {
      return randomValue(r, 0); // an earlier mutation replaced the whole plan by a scalar
    }
    JsonNode target = containers.get(r.nextInt(containers.size()));
    if (target instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      String name = names.isEmpty() ? "x" : names.get(r.nextInt(names.size()));
      switch (r.nextInt(4)) {
        case 0 -> o.remove(name);
        case 1 -> o.set(Property.oneOf(r, NAMES), randomValue(r, 0));
        case 2 -> {
          JsonNode v = o.remove(name);
          o.set(Property.oneOf(r, NAMES), v == null ? randomValue(r, 0) : v);
        }
        default -> o.set(name, randomValue(r, 0));
      }
    } else if (target instanceof ArrayNode a) {
      if (a.isEmpty() || r.nextBoolean()) {
        a.add(r.nextBoolean() && !a.isEmpty() ? a.get(0).deepCopy() : randomValue(r, 0));
      } else {
        a.set(r.nextInt(a.size()), randomValue(r, 0));
      }
    }
    return r.nextInt(50) == 0 ? randomValue(r, 0) : root;
  }

  private static void collectContainers(JsonNode node, List<JsonNode> out) {
    if (node.isContainerNode()) {
      out.add(node);
      node.forEach(child -> collectContainers(child, out));
    }
  }

  private static JsonNode randomValue(Random r, int depth) {
    return switch (r.nextInt(depth > 3 ? 6 : 8)) {
      case 0 -> NODES.textNode(Property.oneOf(r, STRINGS));
      case 1 -> NODES.numberNode(r.nextLong());
      case 2 -> NODES.numberNode(new java.math.BigInteger("18446744073709551616"));
      case 3 -> NODES.numberNode(r.nextDouble() * 1e20 - 1e19);
      case 4 -> NODES.booleanNode(r.nextBoolean());
      case 5 -> NODES.nullNode();
      case 6 -> {
        ObjectNode o = NODES.objectNode();
        for (int i = r.nextInt(3); i > 0; i--) {
          o.set(Property.oneOf(r, NAMES), randomValue(r, depth + 1));
        }
        yield o;
      }
      default -> {
        ArrayNode a = NODES.arrayNode();
        for (int i = r.nextInt(3); i > 0; i--) {
          a.add(randomValue(r, depth + 1));
        }
        yield a;
      }
    };
  }
}
