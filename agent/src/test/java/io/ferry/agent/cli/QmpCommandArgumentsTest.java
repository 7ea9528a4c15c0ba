package io.ferry.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QmpCommandArgumentsTest {
  @Test
  void objectArgumentsAreParsedAndAbsentMeansNone() {
    assertThat(QmpCommand.parseArguments("{\"id\":\"hostnet1\"}").path("id").asText()).isEqualTo("hostnet1");
    assertThat(QmpCommand.parseArguments(null)).isNull();
    assertThat(QmpCommand.parseArguments("  ")).isNull();
  }

  @Test
  void nonObjectsAndBrokenJsonAreUsageErrors() {
    assertThatThrownBy(() -> QmpCommand.parseArguments("[1]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> QmpCommand.parseArguments("{\"id\":")).hasMessageContaining("not valid JSON");
  }
}
