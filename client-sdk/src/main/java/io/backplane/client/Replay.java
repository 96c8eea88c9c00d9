package io.backplane.client;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a subscription starts (CONTRACT.md §5): live only, or history first and then live with no
 * gap and no duplicate at the seam. For a pattern the replay applies to every matching topic.
 */
public final class Replay {
    /** The replay forms of the websocket {@code subscribe} op. */
    public enum Kind { NONE, FROM_SEQ, LAST, FROM_TIME }

    private static final Replay NONE = new Replay(Kind.NONE, 0, null);

    private final Kind kind;
    private final long value;
    private final Instant time;

    private Replay(Kind kind, long value, Instant time) {
        this.kind = kind;
        this.value = value;
        this.time = time;
    }

    /** Live messages only: those sequenced after the subscription is registered. */
    public static Replay none() {
        return NONE;
    }

    /**
     * History from {@code seq} (at least 1) then live. A start older than retention begins at the
     * oldest retained message; a start beyond the end waits for that seq.
     */
    public static Replay fromSeq(long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("Replay.fromSeq needs a seq >= 1, got " + seq);
        }
        return new Replay(Kind.FROM_SEQ, seq, null);
    }

    /** The newest {@code count} (at least 1) messages of each topic, then live. */
    public static Replay last(long count) {
        if (count < 1) {
            throw new IllegalArgumentException("Replay.last needs a count >= 1, got " + count);
        }
        return new Replay(Kind.LAST, count, null);
    }

    /** History from the first message whose timestamp is at or after {@code time}, then live. */
    public static Replay fromTime(Instant time) {
        return new Replay(Kind.FROM_TIME, 0, Objects.requireNonNull(time, "time"));
    }

    public Kind kind() {
        return kind;
    }

    /** The seq of {@link #fromSeq} or the count of {@link #last}; 0 for the other forms. */
    public long value() {
        return value;
    }

    /** The instant of {@link #fromTime}; null for the other forms. */
    public Instant time() {
        return time;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Replay r && r.kind == kind && r.value == value && Objects.equals(r.time, time);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, value, time);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "Replay.none()";
            case FROM_SEQ -> "Replay.fromSeq(" + value + ")";
            case LAST -> "Replay.last(" + value + ")";
            case FROM_TIME -> "Replay.fromTime(" + time + ")";
        };
    }
}
