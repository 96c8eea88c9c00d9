package io.backplane.group.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The engine's wire decoder faces whatever reaches the cluster port. For any bytes it either refuses
 * with {@link IllegalArgumentException} (the one exception {@code GroupNode} catches; anything else
 * would kill the transport thread) or returns a packet whose encoding decodes to the same encoding.
 *
 * <p>{@code mvn verify} replays the saved inputs under
 * {@code src/test/resources/io/backplane/group/protocol/FrameCodecFuzzTestInputs/decode}; fuzz it with
 * {@code JAZZER_FUZZ=1 mvn -pl group-core test -Dtest=FrameCodecFuzzTest} (docs/SECURITY.md, "Fuzzing").
 */
class FrameCodecFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] input) {
        Packet p;
        try {
            p = FrameCodec.decode(input);
        } catch (IllegalArgumentException refused) {
            return;
        }
        byte[] canonical = FrameCodec.encode(p);
        assertThat(FrameCodec.encode(FrameCodec.decode(canonical))).isEqualTo(canonical);
    }
}
