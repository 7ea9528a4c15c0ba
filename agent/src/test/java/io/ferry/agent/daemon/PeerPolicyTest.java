package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PeerPolicyTest {
  @Test
  void rootTheDaemonsOwnUidAndListedUidsAreAllowedOthersNot() {
    PeerPolicy p = PeerPolicy.withDefaults(List.of(1234));
    assertThat(p.allows(0)).isTrue();
    assertThat(p.allows(PeerPolicy.ownUid())).isTrue();
    assertThat(p.allows(1234)).isTrue();
    assertThat(p.allows(65534)).isFalse();
    assertThat(p.allows(-1)).isFalse();
  }
}
