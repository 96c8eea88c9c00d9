package io.backplane.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicationMessageTest {
    @Test
    void everyMessageTypeRoundTrips() {
        ReplicationMessage.Post post = new ReplicationMessage.Post("LAN:n1:1-7", "/A/B", 1_795_000_000_000L, "key-1",
                "\"application/json\"".getBytes(), "\"contentType\":\"application/json\",\"payload\":1".getBytes());
        ReplicationMessage.Post decoded = (ReplicationMessage.Post) ReplicationMessage.decode(ReplicationMessage.encode(post));
        assertThat(decoded.id()).isEqualTo(post.id());
        assertThat(decoded.topic()).isEqualTo(post.topic());
        assertThat(decoded.timestampMillis()).isEqualTo(post.timestampMillis());
        assertThat(decoded.idempotencyKey()).isEqualTo("key-1");
        assertThat(decoded.contentTypeJson()).isEqualTo(post.contentTypeJson());
        assertThat(decoded.envelopeTail()).isEqualTo(post.envelopeTail());

        ReplicationMessage.Post noKey = new ReplicationMessage.Post("i", "/T", 1, null, new byte[0], new byte[0]);
        assertThat(((ReplicationMessage.Post) ReplicationMessage.decode(ReplicationMessage.encode(noKey))).idempotencyKey()).isNull();

        ReplicationMessage.Mark mark = new ReplicationMessage.Mark(7, 42);
        assertThat(ReplicationMessage.decode(ReplicationMessage.encode(mark))).isEqualTo(mark);

        ReplicationMessage.Status status = new ReplicationMessage.Status(9, 2, 3, true,
                List.of(new ReplicationMessage.TopicEntry("/A", 5, "LAN:n2:1-5"), new ReplicationMessage.TopicEntry("/B", 1, "x")));
        assertThat(ReplicationMessage.decode(ReplicationMessage.encode(status))).isEqualTo(status);

        ReplicationMessage.Post remote = new ReplicationMessage.Post("GENEVA:g1:3-9", "/Q/IBM", 5, null, new byte[]{'"', '"'},
                new byte[]{1, 2}, new ReplicationMessage.WanOrigin("GENEVA", 42L << 32 | 7, 9));
        assertThat(((ReplicationMessage.Post) ReplicationMessage.decode(ReplicationMessage.encode(remote))).wan())
                .isEqualTo(remote.wan());
        assertThat(decoded.wan()).isNull();

        ReplicationMessage.Status withMarks = new ReplicationMessage.Status(9, 2, 3, false, List.of(),
                List.of(new io.backplane.history.WanMark("GENEVA", 8, 120), new io.backplane.history.WanMark("TOKYO", 1, 3)));
        assertThat(ReplicationMessage.decode(ReplicationMessage.encode(withMarks))).isEqualTo(withMarks);

        ReplicationMessage.WanTrim trim = new ReplicationMessage.WanTrim("NEW-YORK", 77);
        assertThat(ReplicationMessage.decode(ReplicationMessage.encode(trim))).isEqualTo(trim);

        ReplicationMessage.Promise promise = new ReplicationMessage.Promise(9, 4);
        assertThat(ReplicationMessage.decode(ReplicationMessage.encode(promise))).isEqualTo(promise);
    }

    @Test
    void bytesNoNodeWroteAreRefusedWithAnIllegalArgument() {
        assertThatThrownBy(() -> ReplicationMessage.decode(new byte[]{99})).isInstanceOf(IllegalArgumentException.class);
        for (ReplicationMessage.WanOrigin wan : java.util.Arrays.asList(null, new ReplicationMessage.WanOrigin("G", 1, 2))) {
            byte[] post = ReplicationMessage.encode(new ReplicationMessage.Post("i", "/T", 1, "k", new byte[3], new byte[5], wan));
            for (int cut = 0; cut < post.length; cut++) {
                byte[] torn = Arrays.copyOf(post, cut);
                assertThatThrownBy(() -> ReplicationMessage.decode(torn)).as("torn at %d", cut)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }
}
