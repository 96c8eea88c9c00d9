package io.backplane.history;

/**
 * A record to append to {@code topic}, optionally with an idempotency entry written in the same
 * atomic batch: when {@code idempotencyKey} is not null, {@code idempotencyValue} is stored under
 * (topic, key) and can be read back with {@link HistoryStore#idempotencyEntry(String, String)}.
 *
 * <p>When {@code wanMark} is not null, the WAN receiver's high-water mark for its origin LAN is
 * written in the same batch (see {@link WanMark}): the message and "spool seq n of that LAN was
 * applied" are durable together or not at all.
 *
 * <p>The record's seq must be exactly one more than the topic's last seq (appends of one topic
 * are gapless); the store checks this and fails the append otherwise.
 */
public record AppendRequest(String topic, HistoryRecord record, String idempotencyKey, byte[] idempotencyValue,
                            WanMark wanMark) {
    public AppendRequest(String topic, HistoryRecord record, String idempotencyKey, byte[] idempotencyValue) {
        this(topic, record, idempotencyKey, idempotencyValue, null);
    }

    public AppendRequest {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("topic must not be empty");
        }
        if (record == null) {
            throw new IllegalArgumentException("record must not be null");
        }
        if ((idempotencyKey == null) != (idempotencyValue == null)) {
            throw new IllegalArgumentException("idempotencyKey and idempotencyValue go together");
        }
    }

    public static AppendRequest of(String topic, HistoryRecord record) {
        return new AppendRequest(topic, record, null, null);
    }
}
