package io.backplane.group.protocol;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

/**
 * Reliable FIFO delivery of frames between one pair of incarnations (layer 2): sequence numbers,
 * cumulative acknowledgements, periodic retransmission and duplicate removal. It lives as long as the
 * peer is in the view; a peer that leaves the view takes its channel with it, which is how unbounded
 * retransmission to a dead process is avoided.
 *
 * <p>Because a peer can leave the view and come back (a joiner named in a view it never installed), the
 * same pair of incarnations can have several channels over time, each numbering from 1. Every channel has
 * an epoch, higher than any earlier channel of its process: a packet carries the sender's epoch and the
 * epoch its ack refers to, so a delayed frame or ack of an earlier channel is never taken for the current
 * one's (which would acknowledge, and so lose, the real frame with that number).
 */
final class ReliableChannel {
    private record Outstanding(long seq, Frame frame, long firstSentTick) {
    }

    private final ProcessId self;
    private final ProcessId peer;
    private final EngineConfig config;
    private final long epoch;
    /** The peer's channel epoch whose frames we are receiving; 0 until its first reliable frame. */
    private long peerEpoch;
    private final ArrayDeque<Outstanding> unacked = new ArrayDeque<>();
    private final TreeMap<Long, Frame> outOfOrder = new TreeMap<>();
    private long nextSendSeq = 1;
    private long receivedUpTo;
    private long lastRetransmitTick;
    private long nowTick;
    private boolean ackOwed;

    ReliableChannel(ProcessId self, ProcessId peer, EngineConfig config, long nowTick, long epoch) {
        Invariants.check(epoch > 0, "channel epochs start at 1", epoch);
        this.self = self;
        this.peer = peer;
        this.config = config;
        this.epoch = epoch;
        this.lastRetransmitTick = nowTick;
        this.nowTick = nowTick;
    }

    /** Queues {@code frame} for reliable delivery and returns the packet carrying its first copy. */
    Packet send(Frame frame) {
        long seq = nextSendSeq++;
        unacked.addLast(new Outstanding(seq, frame, nowTick));
        ackOwed = false;
        return packet(seq, frame);
    }

    /** An unreliable packet to the peer still carries our acknowledgement. */
    Packet sendUnreliable(Frame frame) {
        ackOwed = false;
        return packet(0, frame);
    }

    boolean overloaded() {
        return unacked.size() > config.channelUnackedMax();
    }

    private Packet packet(long seq, Frame frame) {
        return new Packet(self, peer, seq, receivedUpTo, frame, epoch, peerEpoch);
    }

    /** Applies the acknowledgement of a packet from the peer, if it refers to this channel. */
    void onAck(long ack, long ackEpoch) {
        if (ackEpoch != epoch) {
            return; // acknowledges an earlier channel to the peer, or nothing
        }
        while (!unacked.isEmpty() && unacked.peekFirst().seq() <= ack) {
            unacked.removeFirst();
        }
    }

    /** Accepts one reliable packet; returns the frames now deliverable in order (empty for duplicates). */
    List<Frame> onReceive(long seq, long senderEpoch, Frame frame) {
        if (senderEpoch < peerEpoch) {
            return List.of(); // from a channel the peer has since dropped: neither delivered nor acknowledged
        }
        if (senderEpoch > peerEpoch) {
            // The peer started a new channel: whatever its earlier one still had in flight is abandoned.
            peerEpoch = senderEpoch;
            receivedUpTo = 0;
            outOfOrder.clear();
        }
        ackOwed = true;
        if (seq <= receivedUpTo) {
            return List.of();
        }
        if (seq > receivedUpTo + 1) {
            if (seq - receivedUpTo <= config.receiveWindowMax()) {
                outOfOrder.putIfAbsent(seq, frame);
            }
            return List.of();
        }
        List<Frame> ready = new ArrayList<>(1);
        ready.add(frame);
        receivedUpTo = seq;
        Frame next;
        while ((next = outOfOrder.remove(receivedUpTo + 1)) != null) {
            ready.add(next);
            receivedUpTo++;
        }
        return ready;
    }

    /** Retransmits what is still unacknowledged and pays an owed acknowledgement. */
    void onTick(long nowTick, List<Effect> out) {
        this.nowTick = nowTick;
        if (nowTick - lastRetransmitTick >= config.retransmitIntervalTicks()) {
            lastRetransmitTick = nowTick;
            if (!config.has(PlantedBug.DROP_RETRANSMISSION)) {
                int burst = 0;
                Iterator<Outstanding> it = unacked.iterator();
                while (it.hasNext() && burst++ < config.retransmitBurstMax()) {
                    Outstanding o = it.next();
                    out.add(new Effect.Transmit(packet(o.seq(), o.frame())));
                    ackOwed = false;
                }
            }
        }
        if (ackOwed) {
            ackOwed = false;
            out.add(new Effect.Transmit(packet(0, new Frame.AckOnly())));
        }
    }

    /** How long the oldest unacknowledged frame has waited for its ack; 0 when nothing is outstanding. */
    long oldestUnackedAgeTicks(long nowTick) {
        return unacked.isEmpty() ? 0 : nowTick - unacked.peekFirst().firstSentTick();
    }

    int unackedCount() {
        return unacked.size();
    }
}
