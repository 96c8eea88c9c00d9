package io.backplane.group.groups;

import io.backplane.group.protocol.ProcessId;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Group payloads round-trip through their byte layout, and malformed ones are refused, not guessed at. */
class GroupCodecTest {
    @Test
    void everyGroupFrameRoundTrips() {
        List<GroupFrame> frames = List.of(
                new GroupFrame.Join(42), new GroupFrame.Join(42, true), new GroupFrame.Leave(43),
                new GroupFrame.Flush(3, 42, 9), new GroupFrame.StateDone(42, 11),
                new GroupFrame.ChunkRequest(42, 11, 1234, 1 << 20),
                new GroupFrame.Snapshot(4, 17, List.of(
                        new GroupFrame.Entry(1, 5, 100, List.of(new ProcessId(0, 1), new ProcessId(2, 3)),
                                List.of(new GroupFrame.Lacking(new ProcessId(2, 3), 5))),
                        new GroupFrame.Entry(2, 7, 0, List.of()))));
        for (GroupFrame f : frames) {
            assertThat(GroupCodec.decode(GroupCodec.encode(f))).isEqualTo(f);
        }
        GroupFrame.Data d = (GroupFrame.Data) GroupCodec.decode(GroupCodec.encode(
                new GroupFrame.Data(3, 42, 9, new byte[] {1, 2, 3})));
        assertThat(d.body()).containsExactly(1, 2, 3);
        assertThat(d.groupViewId()).isEqualTo(9);
        GroupFrame.Chunk chunk = (GroupFrame.Chunk) GroupCodec.decode(GroupCodec.encode(
                new GroupFrame.Chunk(42, 11, 4096, true, new byte[] {7, 8})));
        assertThat(chunk.bytes()).containsExactly(7, 8);
        assertThat(chunk.offset()).isEqualTo(4096);
        assertThat(chunk.last()).isTrue();
        byte[] call = GroupCodec.encode(new GroupFrame.Call(3, 42, 9, 77, new byte[] {4, 5}));
        assertThat(call).hasSize(38 + 2);
        GroupFrame.Call c = (GroupFrame.Call) GroupCodec.decode(call);
        assertThat(c.callSeq()).isEqualTo(77);
        assertThat(c.body()).containsExactly(4, 5);
        byte[] reply = GroupCodec.encode(new GroupFrame.Reply(3, 42, 9, new ProcessId(2, 5), 77, true, new byte[0]));
        assertThat(reply).hasSize(47);
        GroupFrame.Reply r = (GroupFrame.Reply) GroupCodec.decode(reply);
        assertThat(r.caller()).isEqualTo(new ProcessId(2, 5));
        assertThat(r.nullReply()).isTrue();
        assertThat(r.callSeq()).isEqualTo(77);
        assertThat(r.groupViewId()).isEqualTo(9);
    }

    @Test
    void anotherVersionOrTrailingBytesAreRefused() {
        byte[] join = GroupCodec.encode(new GroupFrame.Join(1));
        byte[] otherVersion = join.clone();
        otherVersion[0] = 2;
        assertThatThrownBy(() -> GroupCodec.decode(otherVersion)).isInstanceOf(IllegalArgumentException.class);
        byte[] longer = java.util.Arrays.copyOf(join, join.length + 1);
        assertThatThrownBy(() -> GroupCodec.decode(longer)).isInstanceOf(IllegalArgumentException.class);
    }
}
