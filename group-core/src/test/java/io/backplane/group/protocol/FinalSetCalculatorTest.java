package io.backplane.group.protocol;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The flush's final set: longest received prefix per sender, cut back to a causally closed set. */
class FinalSetCalculatorTest {
    private final ProcessId a = new ProcessId(0, 1);
    private final ProcessId b = new ProcessId(1, 1);
    private final ProcessId c = new ProcessId(2, 1);
    private final View view = new View(3, List.of(a, b, c));

    private Message msg(ProcessId sender, long seq, Kind kind, long... vt) {
        return new Message(new MessageId(sender, seq), 3, kind, vt, new byte[0]);
    }

    private Frame.FlushOk reply(long[] delivered, long abcastDelivered, List<Message> held, List<MessageId> order) {
        return new Frame.FlushOk(3, Ballot.ZERO, delivered, abcastDelivered, held, 0, order, Ballot.ZERO, null);
    }

    @Test
    void aMessageHeldByOneSurvivorIsDeliveredByAll() {
        Message m1 = msg(c, 1, Kind.CBCAST, 0, 0, 1);
        FinalSetCalculator.FinalSet fs = FinalSetCalculator.compute(view, List.of(
                reply(new long[] {0, 0, 0}, 0, List.of(m1), List.of()),
                reply(new long[] {0, 0, 0}, 0, List.of(), List.of())));
        assertThat(fs.finalCount()).containsExactly(0, 0, 1);
        assertThat(fs.messages()).containsExactly(m1);
    }

    @Test
    void aMessageWhoseCausalPredecessorIsLostIsCutWithEverythingAfterIt() {
        // c (crashed) had delivered a's message 1, which no survivor holds, then sent m; m must go, and so
        // must c's later message, because FIFO puts it after m.
        Message m = msg(c, 1, Kind.CBCAST, 1, 0, 1);
        Message later = msg(c, 2, Kind.CBCAST, 0, 0, 2);
        FinalSetCalculator.FinalSet fs = FinalSetCalculator.compute(view, List.of(
                reply(new long[] {0, 0, 0}, 0, List.of(m, later), List.of()),
                reply(new long[] {0, 0, 0}, 0, List.of(), List.of())));
        assertThat(fs.finalCount()).containsExactly(0, 0, 0);
        assertThat(fs.messages()).isEmpty();
    }

    @Test
    void theKnownSequencerOrderComesFirstAndUnorderedAbcastsFollowInACausalOrder() {
        Message x = msg(b, 1, Kind.ABCAST, 0, 1, 0);
        Message z = msg(b, 2, Kind.ABCAST, 0, 2, 0);
        Message y = msg(c, 1, Kind.ABCAST, 0, 1, 1); // c sent y after delivering x
        MessageId lost = new MessageId(a, 99); // ordered by the sequencer, held by no survivor
        FinalSetCalculator.FinalSet fs = FinalSetCalculator.compute(view, List.of(
                reply(new long[] {0, 0, 0}, 0, List.of(x, z, y), List.of(x.id(), lost, z.id())),
                reply(new long[] {0, 0, 0}, 0, List.of(x), List.of(x.id()))));
        // the known order is used while it names messages in the set; the rest follows sorted by
        // vector-timestamp sum (a linear extension of causality), ties broken by rank
        assertThat(fs.abcastOrder()).containsExactly(x.id(), z.id(), y.id());
        assertThat(fs.abcastBase()).isZero();
    }

    @Test
    void whatEverySurvivorDeliveredIsNotShippedAgain() {
        Message m1 = msg(a, 1, Kind.CBCAST, 1, 0, 0);
        Message m2 = msg(a, 2, Kind.CBCAST, 2, 0, 0);
        FinalSetCalculator.FinalSet fs = FinalSetCalculator.compute(view, List.of(
                reply(new long[] {2, 0, 0}, 0, List.of(m1, m2), List.of()),
                reply(new long[] {1, 0, 0}, 0, List.of(m1), List.of())));
        assertThat(fs.finalCount()).containsExactly(2, 0, 0);
        assertThat(fs.messages()).containsExactly(m2);
    }
}
