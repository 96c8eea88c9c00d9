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
 */
final class ReliableChannel {
    private record Outstanding(long seq, Frame frame) {
    }

    private final ProcessId self;
    private final ProcessId peer;
    private final EngineConfig config;
    private final ArrayDeque<Outstanding> unacked = new ArrayDeque<>();
    private final TreeMap<Long, Frame> outOfOrder = new TreeMap<>();
    private long nextSendSeq = 1;
    private long receivedUpTo;
    private long lastRetransmitTick;
    private boolean ackOwed;

    ReliableChannel(ProcessId self, ProcessId peer, EngineConfig config, long nowTick) {
        this.self = self;
        this.peer = peer;
        this.config = config;
        this.lastRetransmitTick = nowTick;
    }

    /** Queues {@code frame} for reliable delivery and returns the packet carrying its first copy. */
    Packet send(Frame frame) {
        long seq = nextSendSeq++;
        unacked.addLast(new Outstanding(seq, frame));
        ackOwed = false;
        return new Packet(self, peer, seq, receivedUpTo, frame);
    }

    /** An unreliable packet to the peer still carries our acknowledgement. */
    Packet sendUnreliable(Frame frame) {
        ackOwed = false;
        return new Packet(self, peer, 0, receivedUpTo, frame);
    }

    boolean overloaded() {
        return unacked.size() > config.channelUnackedMax();
    }

    void onAck(long ack) {
        while (!unacked.isEmpty() && unacked.peekFirst().seq() <= ack) {
            unacked.removeFirst();
        }
    }

    /** Accepts one reliable packet; returns the frames now deliverable in order (empty for duplicates). */
    List<Frame> onReceive(long seq, Frame frame) {
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
        if (nowTick - lastRetransmitTick >= config.retransmitIntervalTicks()) {
            lastRetransmitTick = nowTick;
            if (!config.has(PlantedBug.DROP_RETRANSMISSION)) {
                int burst = 0;
                Iterator<Outstanding> it = unacked.iterator();
                while (it.hasNext() && burst++ < config.retransmitBurstMax()) {
                    Outstanding o = it.next();
                    out.add(new Effect.Transmit(new Packet(self, peer, o.seq(), receivedUpTo, o.frame())));
                    ackOwed = false;
                }
            }
        }
        if (ackOwed) {
            ackOwed = false;
            out.add(new Effect.Transmit(new Packet(self, peer, 0, receivedUpTo, new Frame.AckOnly())));
        }
    }

    int unackedCount() {
        return unacked.size();
    }
}
