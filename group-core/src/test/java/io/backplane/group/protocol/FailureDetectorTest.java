package io.backplane.group.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Stepping tests of the heartbeat failure detector. */
class FailureDetectorTest {
    private final EngineConfig config = EngineConfig.defaults();
    private final ProcessId peer = new ProcessId(1, 1);

    @Test
    void aSilentPeerIsSuspectedOnlyAfterTheMinimumTimeout() {
        FailureDetector fd = new FailureDetector(config);
        fd.track(peer, 0);
        assertThat(fd.suspects(config.suspectTimeoutTicksMin())).isEmpty();
        assertThat(fd.suspects(config.suspectTimeoutTicksMin() + 1L)).containsExactly(peer);
    }

    @Test
    void hearingFromAPeerClearsTheSuspicion() {
        FailureDetector fd = new FailureDetector(config);
        fd.track(peer, 0);
        fd.heard(peer, 100);
        assertThat(fd.suspects(100 + config.suspectTimeoutTicksMin())).isEmpty();
    }

    @Test
    void aPeerWithLongGapsGetsALongerTimeoutUpToTheMaximum() {
        FailureDetector fd = new FailureDetector(config);
        fd.track(peer, 0);
        long t = 0;
        for (int i = 0; i < 50; i++) {
            t += 40;
            fd.heard(peer, t);
        }
        assertThat(fd.timeoutTicks(peer)).isGreaterThan(config.suspectTimeoutTicksMin())
                .isLessThanOrEqualTo(config.suspectTimeoutTicksMax());
    }
}
