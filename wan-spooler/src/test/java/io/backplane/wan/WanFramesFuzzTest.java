package io.backplane.wan;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * The WAN link's frame decoder reads whatever a peer LAN (or anything that reaches the WAN port)
 * sends, in whatever pieces TCP delivers. For any byte stream cut at any points the decoder either
 * refuses with {@link WanProtocolException} (the link then closes the connection) or yields frames,
 * each of which encodes to bytes that decode to the same encoding; and the frames do not depend on
 * where the stream was cut.
 */
class WanFramesFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void decodeStream(FuzzedDataProvider data) {
        int cuts = data.consumeInt(0, 8);
        int[] sizes = new int[cuts];
        for (int i = 0; i < cuts; i++) {
            sizes[i] = data.consumeInt(0, 64);
        }
        byte[] stream = data.consumeRemainingAsBytes();

        List<WanFrame> whole;
        try {
            whole = new WanFrames.Decoder().feed(stream);
        } catch (WanProtocolException refused) {
            return;
        }
        List<WanFrame> pieces = new ArrayList<>();
        WanFrames.Decoder decoder = new WanFrames.Decoder();
        int at = 0;
        for (int size : sizes) {
            int n = Math.min(size, stream.length - at);
            pieces.addAll(decoder.feed(stream, at, n));
            at += n;
        }
        pieces.addAll(decoder.feed(stream, at, stream.length - at));
        assertThat(pieces).hasSameSizeAs(whole);
        for (int i = 0; i < whole.size(); i++) {
            byte[] encoded = WanFrames.encode(whole.get(i));
            assertThat(WanFrames.encode(pieces.get(i))).isEqualTo(encoded);
            List<WanFrame> again = new WanFrames.Decoder().feed(encoded);
            assertThat(again).hasSize(1);
            assertThat(WanFrames.encode(again.get(0))).isEqualTo(encoded);
        }
    }
}
