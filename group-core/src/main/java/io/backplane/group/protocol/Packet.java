package io.backplane.group.protocol;

/**
 * The unit the transport carries: addressing, the reliable-channel header and one frame.
 *
 * @param from  sending incarnation
 * @param to    receiving incarnation ({@link ProcessId#ANY_INCARNATION} only for join requests)
 * @param seq   channel sequence number, 1-based; 0 for unreliable frames
 * @param ack   cumulative acknowledgement: every reliable frame up to {@code ack} from {@code to} arrived
 * @param frame the frame
 */
public record Packet(ProcessId from, ProcessId to, long seq, long ack, Frame frame) {
    public boolean isReliable() {
        return seq > 0;
    }
}
