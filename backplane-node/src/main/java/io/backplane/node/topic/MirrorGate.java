package io.backplane.node.topic;

/**
 * Decides, at a message's place in this LAN's total order, what a mirror does with a message of the
 * remote topic it mirrors. The remote LAN numbered the message; the mirror keeps that {@code seq}, so
 * a duplicate (a stream resent after a reconnection, or two overlapping patterns streaming one topic)
 * is simply a seq the mirror already has, and no mark is needed beyond the mirror's own last seq.
 * Every member decides alike from the same state, like the {@link WanGate}.
 */
public final class MirrorGate {
    public enum Decision { APPLY, SKIP_THEN_APPLY, DUPLICATE, OUT_OF_ORDER }

    private MirrorGate() {
    }

    /**
     * @param lastSeq       the mirror's last seq here (0 when empty)
     * @param seq           the message's seq on its own LAN
     * @param requestedFrom the seq its stream was asked to start at when this is the stream's first message
     *                      of the topic, else 0
     */
    public static Decision decide(long lastSeq, long seq, long requestedFrom) {
        if (seq <= lastSeq) {
            return Decision.DUPLICATE;
        }
        if (seq == lastSeq + 1) {
            return Decision.APPLY;
        }
        // A jump is genuine only where the remote LAN says its history starts later than what was
        // asked for (its retention removed the messages between); anything else is a broken stream.
        if (requestedFrom > 0 && requestedFrom <= lastSeq + 1) {
            return Decision.SKIP_THEN_APPLY;
        }
        return Decision.OUT_OF_ORDER;
    }
}
