package io.backplane.history;

import java.util.concurrent.CompletableFuture;

/** A skip waiting for the writer: {@code topic}'s history drops what it holds and continues at {@code firstSeq}. */
record PendingSkip(String topic, long firstSeq, CompletableFuture<Void> future) implements PendingWrite {
    @Override
    public long queuedBytes() {
        return 0;
    }
}
