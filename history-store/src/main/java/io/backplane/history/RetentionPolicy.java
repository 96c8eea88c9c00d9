package io.backplane.history;

/**
 * The retention decisions, as pure functions of what is known (no I/O, time passed in), so they can
 * be checked case by case. Both are walked from a topic's oldest entry and stop at the first "no":
 * each condition, once false, stays false for every newer entry (timestamps are non-decreasing,
 * retained counts and bytes only shrink as the walk trims), so what is dropped is always a prefix.
 */
final class RetentionPolicy {
    private RetentionPolicy() {
    }

    /** Whether a rule has any chance of trimming a topic with these bounds (skips the read if not). */
    static boolean mayTrim(RetentionRule rule, TopicState.Bounds bounds) {
        if (bounds.count() == 0) {
            return false;
        }
        return rule.maxAgeMillis() > 0
                || (rule.maxCount() > 0 && bounds.count() > rule.maxCount())
                || (rule.maxBytes() > 0 && bounds.bodyBytes() > rule.maxBytes());
    }

    /**
     * Whether the oldest retained record, {@code seq}, must go: it makes the topic exceed the rule's
     * count, it is older than its age, or the retained bodies (this one included) exceed its bytes.
     * A limit of 0 is "no limit".
     *
     * @param lastSeq            the topic's last seq
     * @param retainedBodyBytes  body bytes of {@code seq..lastSeq}
     */
    static boolean mustTrim(RetentionRule rule, long nowMillis, long lastSeq, long retainedBodyBytes,
                            long seq, long timestampMillis) {
        return (rule.maxCount() > 0 && lastSeq - seq + 1 > rule.maxCount())
                || (rule.maxAgeMillis() > 0 && olderThan(timestampMillis, nowMillis, rule.maxAgeMillis()))
                || (rule.maxBytes() > 0 && retainedBodyBytes > rule.maxBytes());
    }

    /**
     * Whether the idempotency key at {@code position} in its topic's key order (0 = oldest of
     * {@code keyCount}) may be dropped: only when it is both older than the age bound and not among
     * the topic's newest {@code keepNewest} keys.
     */
    static boolean mayDropKey(long position, long keyCount, long keepNewest, long timestampMillis,
                              long nowMillis, long maxAgeMillis) {
        return keyCount - position > keepNewest && olderThan(timestampMillis, nowMillis, maxAgeMillis);
    }

    /** {@code now - timestamp > maxAge}, without overflow for any timestamps. */
    static boolean olderThan(long timestampMillis, long nowMillis, long maxAgeMillis) {
        long ageMillis = nowMillis - timestampMillis;
        boolean overflowed = ((nowMillis ^ timestampMillis) & (nowMillis ^ ageMillis)) < 0;
        if (overflowed) {
            return nowMillis > timestampMillis;
        }
        return ageMillis > maxAgeMillis;
    }
}
