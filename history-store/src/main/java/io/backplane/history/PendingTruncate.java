package io.backplane.history;

import java.util.concurrent.CompletableFuture;

/** A truncation waiting for the writer: keep {@code topic}'s records up to {@code keepThroughSeq}. */
record PendingTruncate(String topic, long keepThroughSeq, CompletableFuture<Void> future) implements PendingWrite {
    @Override
    public long queuedBytes() {
        return 0;
    }
}
