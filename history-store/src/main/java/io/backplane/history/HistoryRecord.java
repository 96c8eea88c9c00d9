package io.backplane.history;

/**
 * One message of a topic's history as the store keeps it: its sequence number, the time it was
 * sequenced, and an opaque body (the node stores the encoded envelope there).
 *
 * <p>The store never interprets {@code body}; it uses {@code timestampMillis} for reads "from a time"
 * and for age retention, so the caller must keep timestamps non-decreasing within one topic.
 */
public record HistoryRecord(long seq, long timestampMillis, byte[] body) {
    public HistoryRecord {
        if (seq < 1) {
            throw new IllegalArgumentException("seq must be >= 1, was " + seq);
        }
        if (body == null) {
            throw new IllegalArgumentException("body must not be null");
        }
    }
}
