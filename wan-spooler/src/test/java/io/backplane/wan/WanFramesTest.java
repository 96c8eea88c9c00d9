package io.backplane.wan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class WanFramesTest {
    static List<WanFrame> sample() {
        return List.of(
                new WanFrame.Hello("GENEVA", "NEW-YORK", 42L << 32 | 7, "n1"),
                new WanFrame.Welcome("NEW-YORK", 17),
                new WanFrame.Refuse("epoch 3 of GENEVA is fenced by epoch 4"),
                new WanFrame.Data(9, "/GENEVA/QUOTES/IBM", "GENEVA:n1:3-9", 1_700_000_000_123L,
                        "\"application/json\"".getBytes(StandardCharsets.UTF_8),
                        "\"contentType\":\"application/json\",\"payload\":{\"bid\":101.5}".getBytes(StandardCharsets.UTF_8)),
                new WanFrame.Ack(9),
                new WanFrame.Ping(123),
                new WanFrame.Pong(123),
                new WanFrame.MirrorSubscribe("/NEW-YORK/QUOTES/**", List.of(new WanFrame.Resume("/NEW-YORK/QUOTES/IBM", 42),
                        new WanFrame.Resume("/NEW-YORK/QUOTES/AAPL", 1))),
                new WanFrame.MirrorSubscribe("/NEW-YORK/NEWS", List.of()),
                new WanFrame.MirrorData("/NEW-YORK/QUOTES/IBM", 42, 40,
                        "{\"topic\":\"/NEW-YORK/QUOTES/IBM\",\"lan\":\"NEW-YORK\",\"seq\":42}".getBytes(StandardCharsets.UTF_8)),
                new WanFrame.MirrorEnd("/NEW-YORK/NEWS", "node does not serve"));
    }

    private static byte[] stream(List<WanFrame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (WanFrame f : frames) {
            out.writeBytes(WanFrames.encode(f));
        }
        return out.toByteArray();
    }

    private static String show(WanFrame f) {
        if (f instanceof WanFrame.Data d) {
            return "Data[" + d.spoolSeq() + "," + d.topic() + "," + d.id() + "," + d.timestampMillis() + ","
                    + new String(d.contentTypeJson(), StandardCharsets.UTF_8) + "," + new String(d.envelopeTail(), StandardCharsets.UTF_8) + "]";
        }
        if (f instanceof WanFrame.MirrorData m) {
            return "MirrorData[" + m.topic() + "," + m.seq() + "," + m.requestedFrom() + ","
                    + new String(m.envelope(), StandardCharsets.UTF_8) + "]";
        }
        return f.toString();
    }

    @Test
    void everyFrameRoundTrips() {
        List<WanFrame> decoded = new WanFrames.Decoder().feed(stream(sample()));
        assertThat(decoded.stream().map(WanFramesTest::show)).containsExactlyElementsOf(sample().stream().map(WanFramesTest::show).toList());
    }

    /** However TCP chunks the stream, the same frames come out, none before it is whole. */
    @Property(tries = 200)
    void chunkingDoesNotMatter(@ForAll @IntRange(min = 1, max = 97) int chunk) {
        byte[] all = stream(sample());
        WanFrames.Decoder decoder = new WanFrames.Decoder();
        List<WanFrame> out = new ArrayList<>();
        for (int i = 0; i < all.length; i += chunk) {
            out.addAll(decoder.feed(all, i, Math.min(chunk, all.length - i)));
        }
        assertThat(out.stream().map(WanFramesTest::show)).containsExactlyElementsOf(sample().stream().map(WanFramesTest::show).toList());
        assertThat(decoder.pending()).isZero();
    }

    @Test
    void aTornTailIsHeldNotDecoded() {
        byte[] all = stream(sample());
        WanFrames.Decoder decoder = new WanFrames.Decoder();
        assertThat(decoder.feed(all, 0, all.length - 3)).hasSize(sample().size() - 1);
        assertThat(decoder.pending()).isPositive();
    }

    @Test
    void garbageIsRefused() {
        assertThatThrownBy(() -> new WanFrames.Decoder().feed("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(WanProtocolException.class).hasMessageContaining("out of range");
        byte[] hello = WanFrames.encode(new WanFrame.Hello("A", "B", 1, "n"));
        hello[5] = 'X'; // magic
        assertThatThrownBy(() -> new WanFrames.Decoder().feed(hello)).isInstanceOf(WanProtocolException.class)
                .hasMessageContaining("magic");
        byte[] unknown = {0, 0, 0, 1, 99};
        assertThatThrownBy(() -> new WanFrames.Decoder().feed(unknown)).hasMessageContaining("unknown WAN frame type 99");
        byte[] ack = WanFrames.encode(new WanFrame.Ack(5));
        byte[] shortAck = {0, 0, 0, 3, ack[4], 0, 0};
        assertThatThrownBy(() -> new WanFrames.Decoder().feed(shortAck)).hasMessageContaining("truncated");
    }
}
