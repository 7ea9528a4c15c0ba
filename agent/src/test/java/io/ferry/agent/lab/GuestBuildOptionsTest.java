package io.ferry.agent.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestBuildOptionsTest {
  @TempDir Path dir;

  @Test
  void kernelWithoutInitrdIsRefused() {
    assertThatThrownBy(
            () -> new GuestBuildOptions(dir, Optional.of(dir.resolve("k")), Optional.empty(), line -> {}))
        .hasMessageContaining("--kernel and --initrd go together");
  }

  @Test
  void userSuppliedImageIsUsedAsIsWithoutBuilding() throws Exception {
    Path kernel = Files.writeString(dir.resolve("vmlinuz"), "k");
    Path initrd = Files.writeString(dir.resolve("initrd"), "i");
    Path cache = dir.resolve("cache");
    GuestImage image = GuestImageBuilder.ensure(GuestBuildOptions.defaults().withCacheRoot(cache).withUserImage(kernel, initrd));
    assertThat(image).isEqualTo(new GuestImage(kernel, initrd, "user-supplied"));
    assertThat(cache).doesNotExist();
  }

  @Test
  void missingUserSuppliedFileIsAClearError() {
    assertThatThrownBy(
            () -> GuestImageBuilder.ensure(GuestBuildOptions.defaults().withUserImage(dir.resolve("nope"), dir.resolve("nope2"))))
        .isInstanceOf(GuestBuildException.class)
        .hasMessageContaining("not a readable file");
  }

  @Test
  void recipeDigestCoversTheGuestSources() {
    assertThat(GuestImageBuilder.recipeDigest()).hasSize(64).isEqualTo(GuestImageBuilder.recipeDigest());
    assertThat(new String(GuestImageBuilder.resource("init.sh"))).contains("FERRY-EXEC-EXIT=");
  }
}
