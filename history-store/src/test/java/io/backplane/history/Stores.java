package io.backplane.history;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongUnaryOperator;

/** Test helpers: a config that leaves retention to the test, and appends that wait with a deadline. */
final class Stores {
    static final long TIMEOUT_SECONDS = 30;

    private Stores() {
    }

    /** Defaults, except background retention never fires during a test: tests call applyRetention(). */
    static HistoryStoreConfig config(Path dir) {
        return HistoryStoreConfig.defaults(dir).withRetentionIntervalMillis(TimeUnit.HOURS.toMillis(1));
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("append did not complete within " + TIMEOUT_SECONDS + " s", e);
        }
    }

    static HistoryRecord record(String topic, long seq, long timestampMillis) {
        return new HistoryRecord(seq, timestampMillis, Bodies.of(topic, seq));
    }

    /** Appends seqs {@code fromSeq..toSeq} (bodies from {@link Bodies#of}) and waits for all of them. */
    static void appendRange(HistoryStore store, String topic, long fromSeq, long toSeq, LongUnaryOperator timestampOfSeq) {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long seq = fromSeq; seq <= toSeq; seq++) {
            futures.add(store.append(AppendRequest.of(topic, record(topic, seq, timestampOfSeq.applyAsLong(seq)))));
        }
        await(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)));
    }

    static void appendRange(HistoryStore store, String topic, long fromSeq, long toSeq) {
        appendRange(store, topic, fromSeq, toSeq, seq -> 1_000 + seq);
    }
}
