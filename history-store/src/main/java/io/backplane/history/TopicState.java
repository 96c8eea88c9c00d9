package io.backplane.history;

/**
 * One topic's in-memory state: its dense id and its published {@link Bounds}, which readers see
 * without locking. Two threads change the bounds, each after its own RocksDB write is done: the
 * writer (lastSeq and bytes grow; a tail truncation or a skip rewrites them) and retention (firstSeq
 * grows, bytes shrink). The monitor makes their read-modify-write of the bounds atomic; neither holds
 * it across I/O.
 *
 * <p>The {@code writer*} and {@code batch*} fields belong to the writer thread alone: the last seq
 * it has accepted into a batch not yet written, the running body total stamped on that record (see
 * {@link StorageFormat}), and what the batch adds.
 */
final class TopicState {
    final int id;
    final String name;
    private volatile Bounds bounds;
    /**
     * Rewrites (tail truncations and skips, the two writes that remove records other than retention's
     * trim of the oldest) as a sequence lock: odd while one is being written, incremented again once
     * its bounds are published. A reader that sampled it before reading the bounds can tell, when its
     * scan ends early, a tail cut under it (odd, or changed since) from a real hole, and can tell that
     * a read derived from the old bounds met the new records (see {@code HistoryReader}). Odd *before*
     * the RocksDB write matters: a reader whose iterator already sees the deletion must see the change.
     */
    private volatile long rewrites;

    long writerLastSeq;
    long writerRunningBodyBytes;
    long batchBodyBytes;
    long batchNewKeys;
    boolean inBatch;

    /**
     * {@code firstSeq..lastSeq} are retained (none when firstSeq == lastSeq + 1); {@code bodyBytes} is
     * the sum of their body lengths; {@code idempotencyKeys} counts the topic's live keys.
     */
    record Bounds(long firstSeq, long lastSeq, long bodyBytes, long idempotencyKeys) {
        long count() {
            return lastSeq - firstSeq + 1;
        }
    }

    TopicState(int id, String name, Bounds bounds, long runningBodyBytes) {
        this.id = id;
        this.name = name;
        this.bounds = bounds;
        this.writerLastSeq = bounds.lastSeq();
        this.writerRunningBodyBytes = runningBodyBytes;
    }

    /** A topic the writer is creating with its first record, seq 1. */
    static TopicState created(int id, String name) {
        return new TopicState(id, name, new Bounds(1, 0, 0, 0), 0);
    }

    Bounds bounds() {
        return bounds;
    }

    TopicInfo info() {
        Bounds b = bounds;
        return new TopicInfo(name, b.firstSeq(), b.lastSeq(), b.count());
    }

    synchronized void onAppended(long lastSeq, long bodyBytesAdded, long keysAdded) {
        Bounds b = bounds;
        Invariants.check(lastSeq > b.lastSeq(), "topic %s: lastSeq would go from %s to %s", name, b.lastSeq(), lastSeq);
        bounds = new Bounds(b.firstSeq(), lastSeq, b.bodyBytes() + bodyBytesAdded, b.idempotencyKeys() + keysAdded);
    }

    synchronized void onTrimmed(long trimmedThroughSeq, long bodyBytesRemoved) {
        Bounds b = bounds;
        Invariants.check(trimmedThroughSeq >= b.firstSeq() && trimmedThroughSeq <= b.lastSeq(),
                "topic %s: trim through %s outside %s..%s", name, trimmedThroughSeq, b.firstSeq(), b.lastSeq());
        bounds = new Bounds(trimmedThroughSeq + 1, b.lastSeq(), b.bodyBytes() - bodyBytesRemoved, b.idempotencyKeys());
    }

    /** Before a tail truncation or a skip is written (writer thread); {@link #endRewrite} must follow. */
    void beginRewrite() {
        Invariants.check((rewrites & 1) == 0, "topic %s: rewrite already in progress", name);
        rewrites++;
    }

    /** After a tail truncation was written: the topic now ends at {@code lastSeq}. Writer thread. */
    synchronized void onTruncated(long lastSeq, long bodyBytesRemoved, long keysRemoved) {
        Bounds b = bounds;
        Invariants.check(lastSeq < b.lastSeq() && lastSeq >= b.firstSeq() - 1,
                "topic %s: truncate to %s outside %s..%s", name, lastSeq, b.firstSeq() - 1, b.lastSeq());
        bounds = new Bounds(b.firstSeq(), lastSeq, b.bodyBytes() - bodyBytesRemoved, b.idempotencyKeys() - keysRemoved);
    }

    /**
     * After a skip was written: nothing is retained and the next append is {@code firstSeq}, as if
     * retention had trimmed through {@code firstSeq - 1}. Writer thread.
     */
    synchronized void onSkipped(long firstSeq, long keysRemoved) {
        Bounds b = bounds;
        Invariants.check(firstSeq - 1 > b.lastSeq(), "topic %s: skip to %s from lastSeq %s", name, firstSeq, b.lastSeq());
        bounds = new Bounds(firstSeq, firstSeq - 1, 0, b.idempotencyKeys() - keysRemoved);
    }

    /** After a rewrite's bounds are published, or it failed (writer thread). */
    void endRewrite() {
        rewrites++;
    }

    long rewrites() {
        return rewrites;
    }

    synchronized void onKeysDropped(long keys) {
        Bounds b = bounds;
        Invariants.check(keys <= b.idempotencyKeys(), "topic %s: dropping %s of %s keys", name, keys, b.idempotencyKeys());
        bounds = new Bounds(b.firstSeq(), b.lastSeq(), b.bodyBytes(), b.idempotencyKeys() - keys);
    }
}
