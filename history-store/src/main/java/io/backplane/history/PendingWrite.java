package io.backplane.history;

import java.util.concurrent.CompletableFuture;

/**
 * Work queued for the writer thread: an append, a truncation of a topic's tail, or a skip over a gap.
 * All go through the one queue so a truncation or skip is ordered with the appends around it (an
 * append queued after it sees the rewritten history).
 */
sealed interface PendingWrite permits PendingAppend, PendingTruncate, PendingSkip {
    CompletableFuture<Void> future();

    /** Bytes this item holds while queued (counted against the queue's byte bound). */
    long queuedBytes();
}
