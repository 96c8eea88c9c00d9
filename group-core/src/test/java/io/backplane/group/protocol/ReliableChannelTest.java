package io.backplane.group.protocol;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Stepping tests of one reliable FIFO channel with an explicit tick count. */
class ReliableChannelTest {
    private final ProcessId a = new ProcessId(0, 1);
    private final ProcessId b = new ProcessId(1, 1);
    private final EngineConfig config = EngineConfig.defaults();

    private static Frame f(long n) {
        return new Frame.NotMember(n);
    }

    @Test
    void outOfOrderFramesAreHeldAndReleasedInOrder() {
        ReliableChannel rx = new ReliableChannel(b, a, config, 0, 1);
        assertThat(rx.onReceive(2, 1, f(2))).isEmpty();
        assertThat(rx.onReceive(3, 1, f(3))).isEmpty();
        assertThat(rx.onReceive(1, 1, f(1))).containsExactly(f(1), f(2), f(3));
    }

    @Test
    void duplicatesAreDroppedEvenAfterDelivery() {
        ReliableChannel rx = new ReliableChannel(b, a, config, 0, 1);
        assertThat(rx.onReceive(1, 1, f(1))).containsExactly(f(1));
        assertThat(rx.onReceive(1, 1, f(1))).isEmpty();
        assertThat(rx.onReceive(3, 1, f(3))).isEmpty();
        assertThat(rx.onReceive(3, 1, f(3))).isEmpty();
        assertThat(rx.onReceive(2, 1, f(2))).containsExactly(f(2), f(3));
    }

    @Test
    void unackedFramesAreRetransmittedEveryIntervalUntilAcked() {
        ReliableChannel tx = new ReliableChannel(a, b, config, 0, 1);
        tx.send(f(1));
        tx.send(f(2));
        List<Effect> out = new ArrayList<>();
        for (long tick = 1; tick < config.retransmitIntervalTicks(); tick++) {
            tx.onTick(tick, out);
        }
        assertThat(out).isEmpty();
        tx.onTick(config.retransmitIntervalTicks(), out);
        assertThat(out).hasSize(2);
        tx.onAck(2, 1);
        out.clear();
        tx.onTick(2L * config.retransmitIntervalTicks(), out);
        assertThat(out).isEmpty();
        assertThat(tx.unackedCount()).isZero();
    }

    @Test
    void aReceiverOwesAnAckAfterReceiving() {
        ReliableChannel rx = new ReliableChannel(b, a, config, 0, 1);
        rx.onReceive(1, 1, f(1));
        List<Effect> out = new ArrayList<>();
        rx.onTick(1, out);
        assertThat(out).singleElement().satisfies(e -> {
            Packet p = ((Effect.Transmit) e).packet();
            assertThat(p.frame()).isInstanceOf(Frame.AckOnly.class);
            assertThat(p.ack()).isEqualTo(1);
        });
    }

    @Test
    void framesBeyondTheReceiveWindowAreDroppedNotBuffered() {
        ReliableChannel rx = new ReliableChannel(b, a, config, 0, 1);
        assertThat(rx.onReceive(config.receiveWindowMax() + 5L, 1, f(9))).isEmpty();
        for (long s = 1; s <= config.receiveWindowMax() + 4L; s++) {
            rx.onReceive(s, 1, f(s));
        }
        // the far frame was not kept, so the sender's retransmission is what delivers it
        assertThat(rx.onReceive(config.receiveWindowMax() + 5L, 1, f(9))).containsExactly(f(9));
    }

    @Test
    void aDelayedFrameOfAnEarlierChannelIsNotTakenForTheCurrentChannelsFrame() {
        // The peer dropped its channel to us (we left its view) and started a new one at seq 1 when we came
        // back; a frame of the old channel still in flight carries seq 3 as well.
        ReliableChannel rx = new ReliableChannel(b, a, config, 0, 1);
        assertThat(rx.onReceive(1, 7, f(1))).containsExactly(f(1));
        assertThat(rx.onReceive(2, 7, f(2))).containsExactly(f(2));
        assertThat(rx.onReceive(3, 5, f(99))).as("old channel's seq 3").isEmpty();
        assertThat(rx.onReceive(3, 7, f(3))).containsExactly(f(3));
    }

    @Test
    void aNewerChannelOfThePeerRestartsTheReceiveSequence() {
        ReliableChannel rx = new ReliableChannel(b, a, config, 0, 1);
        rx.onReceive(1, 5, f(1));
        rx.onReceive(2, 5, f(2));
        rx.onReceive(4, 5, f(4));
        assertThat(rx.onReceive(1, 6, f(10))).containsExactly(f(10));
        assertThat(rx.onReceive(2, 6, f(11))).containsExactly(f(11));
        assertThat(rx.onReceive(3, 6, f(12))).as("seq 4 of the old channel is not released").containsExactly(f(12));
    }

    @Test
    void anAckForAnEarlierChannelDoesNotAcknowledgeTheCurrentOnesFrames() {
        ReliableChannel tx = new ReliableChannel(a, b, config, 0, 2);
        Packet first = tx.send(f(1));
        assertThat(first.epoch()).isEqualTo(2);
        tx.onAck(1, 1);
        assertThat(tx.unackedCount()).isEqualTo(1);
        tx.onAck(1, 2);
        assertThat(tx.unackedCount()).isZero();
    }
}
