package io.backplane.group.protocol;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The wire format round-trips every frame kind and rejects what it does not understand. */
class FrameCodecTest {

    @Property(tries = 300)
    void everyFrameSurvivesEncodeDecode(@ForAll("packets") Packet p) {
        byte[] once = FrameCodec.encode(p);
        Packet back = FrameCodec.decode(once);
        assertThat(back.frame().getClass()).isEqualTo(p.frame().getClass());
        assertThat(back.from()).isEqualTo(p.from());
        assertThat(back.seq()).isEqualTo(p.seq());
        assertThat(back.epoch()).isEqualTo(p.epoch());
        assertThat(back.ackEpoch()).isEqualTo(p.ackEpoch());
        // records holding arrays compare by identity, so compare their encodings instead
        assertThat(FrameCodec.encode(back)).isEqualTo(once);
    }

    @Property(tries = 200)
    void aPacketIsItsHeaderFollowedByItsFrame(@ForAll("packets") Packet p) {
        byte[] head = FrameCodec.encodeHeader(p);
        byte[] frame = FrameCodec.encodeFrame(p.frame());
        assertThat(head).hasSize(FrameCodec.HEADER_BYTES);
        byte[] joined = java.util.Arrays.copyOf(head, head.length + frame.length);
        System.arraycopy(frame, 0, joined, head.length, frame.length);
        assertThat(joined).isEqualTo(FrameCodec.encode(p));
    }

    @Test
    void anUnknownVersionIsRejected() {
        byte[] bytes = FrameCodec.encode(new Packet(pid(1), pid(2), 0, 0, new Frame.AckOnly()));
        bytes[0] = 9;
        assertThatThrownBy(() -> FrameCodec.decode(bytes)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version");
    }

    @Test
    void aTruncatedPacketIsRejected() {
        byte[] bytes = FrameCodec.encode(new Packet(pid(1), pid(2), 3, 4, new Frame.Heartbeat(7, 0)));
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
        assertThatThrownBy(() -> FrameCodec.decode(cut)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFirstByteIsTheVersion() {
        assertThat(FrameCodec.encode(new Packet(pid(1), pid(2), 0, 0, new Frame.JoinRequest()))[0])
                .isEqualTo(FrameCodec.VERSION);
    }

    @Test
    void theChannelEpochsFollowTheAckInTheHeader() {
        byte[] bytes = FrameCodec.encode(new Packet(pid(1), pid(2), 3, 4, new Frame.AckOnly(), 5, 6));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        assertThat(b.get(0)).isEqualTo((byte) 3);
        assertThat(bytes.length).isEqualTo(FrameCodec.HEADER_BYTES + 1); // AckOnly is its tag alone
        int afterAck = 1 + 8 + 8 + 8 + 8;
        assertThat(b.getLong(afterAck)).isEqualTo(5);
        assertThat(b.getLong(afterAck + 8)).isEqualTo(6);
        assertThat(b.get(afterAck + 16)).as("tag of AckOnly").isEqualTo((byte) 2);
    }

    private static ProcessId pid(int n) {
        return new ProcessId(n, 1);
    }

    @Provide
    Arbitrary<Packet> packets() {
        Arbitrary<ProcessId> pids = Combinators.combine(Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(1, 4)).as(ProcessId::new);
        Arbitrary<Long> longs = Arbitraries.longs().between(0, 1_000_000);
        Arbitrary<Ballot> ballots = Combinators.combine(longs, pids).as(Ballot::new);
        Arbitrary<long[]> vts = Arbitraries.longs().between(0, 50).array(long[].class).ofSize(3);
        Arbitrary<Message> messages = Combinators.combine(pids, longs, Arbitraries.of(Kind.class), vts,
                Arbitraries.bytes().array(byte[].class).ofMaxSize(20))
                .as((p, seq, kind, vt, payload) -> new Message(new MessageId(p, seq), 5, kind, vt, payload));
        Arbitrary<List<MessageId>> ids = Combinators.combine(pids, longs).as(MessageId::new).list().ofMaxSize(4);
        Arbitrary<Proposal> proposals = Combinators.combine(messages.list().ofMaxSize(3), ids, vts)
                .as((ms, order, counts) -> new Proposal(4, List.of(pid(0), pid(1), pid(2)),
                        new View(5, List.of(pid(0), pid(2), pid(3))), List.of(pid(1)), counts, ms, 2, order));
        Arbitrary<Frame> frames = Arbitraries.oneOf(
                Combinators.combine(longs, longs).as(Frame.Heartbeat::new),
                Arbitraries.just(new Frame.AckOnly()),
                Arbitraries.just(new Frame.JoinRequest()),
                longs.map(Frame.LeaveRequest::new),
                longs.map(Frame.NotMember::new),
                messages.map(Frame.Data::new),
                Combinators.combine(pids, longs.list().ofMinSize(1).ofMaxSize(4)).as((sender, seqs) ->
                        new Frame.DataBatch(5, seqs.stream().map(seq -> new Message(new MessageId(sender, seq), 5,
                                Kind.ABCAST, new long[] {1, seq, 2}, new byte[] {(byte) (long) seq})).toList())),
                Combinators.combine(longs, longs, ids).as(Frame.OrderBatch::new),
                Combinators.combine(longs, vts, longs).as(Frame.Stability::new),
                Combinators.combine(longs, pids.list().ofMaxSize(3)).as(Frame.Suspect::new),
                Combinators.combine(longs, ballots).as(Frame.FlushStart::new),
                Combinators.combine(longs, ballots, vts, messages.list().ofMaxSize(3), ids, proposals.injectNull(0.5))
                        .as((v, b, d, held, order, acc) -> new Frame.FlushOk(v, b, d, 1, held, 0, order, b, acc)),
                Combinators.combine(longs, ballots).as(Frame.FlushNack::new),
                Combinators.combine(longs, ballots, proposals).as(Frame.Propose::new),
                Combinators.combine(longs, ballots).as(Frame.Accept::new),
                proposals.map(Frame.Commit::new),
                Combinators.combine(longs, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)).as(Frame.Direct::new));
        return Combinators.combine(pids, pids, longs, longs, frames, longs, longs).as(Packet::new);
    }
}
