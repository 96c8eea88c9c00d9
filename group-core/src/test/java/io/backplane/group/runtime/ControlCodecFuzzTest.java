package io.backplane.group.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * Control frames (HELLO, STATUS) are read from connections before the sender is known to be a
 * member, so they are the first thing an attacker reaches. For any bytes the decoder either refuses
 * with {@link IllegalArgumentException} (what {@code TcpTransport} catches to close the connection) or
 * returns a frame whose encoding is a fixed point of decode-then-encode.
 */
class ControlCodecFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] input) {
        ControlFrame f;
        try {
            f = ControlCodec.decode(ByteBuffer.wrap(input));
        } catch (IllegalArgumentException refused) {
            return;
        }
        byte[] canonical = ControlCodec.encode(f);
        assertThat(ControlCodec.encode(ControlCodec.decode(ByteBuffer.wrap(canonical)))).isEqualTo(canonical);
    }
}
