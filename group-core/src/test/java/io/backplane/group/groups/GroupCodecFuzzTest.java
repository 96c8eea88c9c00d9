package io.backplane.group.groups;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The groups layer decodes every LAN delivery's payload on the engine's thread. For any bytes the
 * decoder either refuses with {@link IllegalArgumentException} or returns a frame whose encoding is a
 * fixed point of decode-then-encode.
 */
class GroupCodecFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] input) {
        GroupFrame f;
        try {
            f = GroupCodec.decode(input);
        } catch (IllegalArgumentException refused) {
            return;
        }
        byte[] canonical = GroupCodec.encode(f);
        assertThat(GroupCodec.encode(GroupCodec.decode(canonical))).isEqualTo(canonical);
    }
}
