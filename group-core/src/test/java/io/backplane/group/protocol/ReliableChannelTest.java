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
        ReliableChannel rx = new ReliableChannel(b, a, config, 0);
        assertThat(rx.onReceive(2, f(2))).isEmpty();
        assertThat(rx.onReceive(3, f(3))).isEmpty();
        assertThat(rx.onReceive(1, f(1))).containsExactly(f(1), f(2), f(3));
    }

    @Test
    void duplicatesAreDroppedEvenAfterDelivery() {
        ReliableChannel rx = new ReliableChannel(b, a, config, 0);
        assertThat(rx.onReceive(1, f(1))).containsExactly(f(1));
        assertThat(rx.onReceive(1, f(1))).isEmpty();
        assertThat(rx.onReceive(3, f(3))).isEmpty();
        assertThat(rx.onReceive(3, f(3))).isEmpty();
        assertThat(rx.onReceive(2, f(2))).containsExactly(f(2), f(3));
    }

    @Test
    void unackedFramesAreRetransmittedEveryIntervalUntilAcked() {
        ReliableChannel tx = new ReliableChannel(a, b, config, 0);
        tx.send(f(1));
        tx.send(f(2));
        List<Effect> out = new ArrayList<>();
        for (long tick = 1; tick < config.retransmitIntervalTicks(); tick++) {
            tx.onTick(tick, out);
        }
        assertThat(out).isEmpty();
        tx.onTick(config.retransmitIntervalTicks(), out);
        assertThat(out).hasSize(2);
        tx.onAck(2);
        out.clear();
        tx.onTick(2L * config.retransmitIntervalTicks(), out);
        assertThat(out).isEmpty();
        assertThat(tx.unackedCount()).isZero();
    }

    @Test
    void aReceiverOwesAnAckAfterReceiving() {
        ReliableChannel rx = new ReliableChannel(b, a, config, 0);
        rx.onReceive(1, f(1));
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
        ReliableChannel rx = new ReliableChannel(b, a, config, 0);
        assertThat(rx.onReceive(config.receiveWindowMax() + 5L, f(9))).isEmpty();
        for (long s = 1; s <= config.receiveWindowMax() + 4L; s++) {
            rx.onReceive(s, f(s));
        }
        // the far frame was not kept, so the sender's retransmission is what delivers it
        assertThat(rx.onReceive(config.receiveWindowMax() + 5L, f(9))).containsExactly(f(9));
    }
}
