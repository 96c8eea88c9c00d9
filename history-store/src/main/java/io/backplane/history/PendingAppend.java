package io.backplane.history;

import java.util.concurrent.CompletableFuture;

/** An append waiting for the writer: the request, the future to complete, and its queued bytes. */
record PendingAppend(AppendRequest request, CompletableFuture<Void> future, long queuedBytes) implements PendingWrite {

    static PendingAppend of(AppendRequest request) {
        long bytes = request.record().body().length
                + (request.idempotencyValue() == null ? 0 : request.idempotencyValue().length);
        return new PendingAppend(request, new CompletableFuture<>(), bytes);
    }
}
