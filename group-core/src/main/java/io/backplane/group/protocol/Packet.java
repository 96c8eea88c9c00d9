package io.backplane.group.protocol;

/**
 * The unit the transport carries: addressing, the reliable-channel header and one frame.
 *
 * @param from      sending incarnation
 * @param to        receiving incarnation ({@link ProcessId#ANY_INCARNATION} only for join requests)
 * @param seq       channel sequence number, 1-based; 0 for unreliable frames
 * @param ack       cumulative acknowledgement: every reliable frame up to {@code ack} from {@code to} arrived
 * @param frame     the frame
 * @param epoch     the sender's channel epoch: a channel dropped and created again to the same peer starts
 *                  a higher epoch, so frames of the earlier channel cannot pass for the new one's; 0 when
 *                  the sender has no channel to the peer
 * @param ackEpoch  the epoch of the receiver's channel that {@code ack} acknowledges (0: acknowledges nothing)
 */
public record Packet(ProcessId from, ProcessId to, long seq, long ack, Frame frame, long epoch, long ackEpoch) {
    /** A packet sent outside any channel: it carries no sequence number and acknowledges nothing. */
    public Packet(ProcessId from, ProcessId to, long seq, long ack, Frame frame) {
        this(from, to, seq, ack, frame, 0, 0);
    }

    public boolean isReliable() {
        return seq > 0;
    }
}
