package io.backplane.history;

import java.util.concurrent.CompletableFuture;

/**
 * Work queued for the writer thread: an append, or a truncation of a topic's tail. Both go through
 * the one queue so a truncation is ordered with the appends around it (an append queued after it
 * sees the shortened history).
 */
sealed interface PendingWrite permits PendingAppend, PendingTruncate {
    CompletableFuture<Void> future();

    /** Bytes this item holds while queued (counted against the queue's byte bound). */
    long queuedBytes();
}
