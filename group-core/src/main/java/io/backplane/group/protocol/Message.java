package io.backplane.group.protocol;

/**
 * One application multicast as it travels through the group.
 *
 * @param id      unique id
 * @param viewId  the view it was sent in; it is delivered in that view or not at all
 * @param kind    CBCAST or ABCAST
 * @param vt      vector timestamp indexed by member rank in the sending view: {@code vt[sender]} is this
 *                message's index among the sender's messages of the view (1-based), {@code vt[j]} the
 *                number of j's messages the sender had delivered when it sent this one. Never mutated.
 * @param payload application bytes, never mutated
 */
public record Message(MessageId id, long viewId, Kind kind, long[] vt, byte[] payload) {
    /** Index of this message among its sender's messages of the view (1-based). */
    public long indexInView(int senderRank) {
        return vt[senderRank];
    }

    /** Sum of the vector timestamp: strictly grows along happens-before, so sorting by it is a linear extension. */
    public long vtSum() {
        long s = 0;
        for (long v : vt) {
            s += v;
        }
        return s;
    }

    @Override
    public String toString() {
        return id + "@v" + viewId + "/" + kind;
    }
}
