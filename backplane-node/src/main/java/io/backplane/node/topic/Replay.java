package io.backplane.node.topic;

/** Where a subscription starts (CONTRACT.md §5): live only, from a seq, the last N, or from a time. */
public record Replay(Kind kind, long value) {
    public enum Kind { NONE, FROM_SEQ, LAST, FROM_TIME }

    public static final Replay NONE = new Replay(Kind.NONE, 0);

    public static Replay fromSeq(long seq) {
        return new Replay(Kind.FROM_SEQ, seq);
    }

    public static Replay last(long count) {
        return new Replay(Kind.LAST, count);
    }

    public static Replay fromTime(long epochMillis) {
        return new Replay(Kind.FROM_TIME, epochMillis);
    }

    public boolean requested() {
        return kind != Kind.NONE;
    }
}
