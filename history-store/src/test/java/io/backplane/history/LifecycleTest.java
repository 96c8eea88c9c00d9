package io.backplane.history;

import static io.backplane.history.Stores.await;
import static io.backplane.history.Stores.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleTest {
    @TempDir
    Path dir;
    private RocksHistoryStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void closeWritesEveryQueuedAppendAndThenRefusesNewOnes() throws Exception {
        // Shows: close() stops taking appends at once but writes everything already queued before it
        // returns; those futures succeed and the records are there after reopening.
        Gate gate = new Gate();
        store = RocksHistoryStore.open(Stores.config(dir).withWriteListener(gate));
        List<CompletableFuture<Void>> accepted = new ArrayList<>();
        accepted.add(store.append(AppendRequest.of("/t", record("/t", 1, 1))));
        gate.awaitWriterHeld();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(store::close);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        CompletableFuture<Void> refused = null;
        for (long seq = 2; refused == null; seq++) {
            assertThat(System.nanoTime()).as("close() never closed the queue").isLessThan(deadline);
            CompletableFuture<Void> append = store.append(AppendRequest.of("/t", record("/t", seq, seq)));
            if (append.isCompletedExceptionally()) {
                refused = append;
            } else {
                accepted.add(append);
            }
        }
        CompletableFuture<Void> afterClose = refused;
        assertThatThrownBy(() -> await(afterClose)).isInstanceOf(HistoryStoreException.class)
                .hasMessage("store is closed");
        assertThat(closing).isNotDone();
        gate.release();
        closing.get(30, TimeUnit.SECONDS);
        for (CompletableFuture<Void> append : accepted) {
            assertThat(append).isCompleted().isNotCompletedExceptionally();
        }

        store = RocksHistoryStore.open(Stores.config(dir));
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, accepted.size(), accepted.size()));
    }

    @Test
    void afterCloseEveryCallFailsWithStoreIsClosedAndCloseIsIdempotent() {
        // Shows: a closed store answers every call with the same clear operating error, and a second
        // close() is harmless.
        store = RocksHistoryStore.open(Stores.config(dir));
        Stores.appendRange(store, "/t", 1, 3);
        store.close();
        store.close();

        assertThatThrownBy(() -> await(store.append(AppendRequest.of("/t", record("/t", 4, 4)))))
                .isInstanceOf(HistoryStoreException.class).hasMessage("store is closed");
        assertThatThrownBy(() -> store.readFrom("/t", 1, 10)).isInstanceOf(HistoryStoreException.class).hasMessage("store is closed");
        assertThatThrownBy(() -> store.topic("/t")).isInstanceOf(HistoryStoreException.class).hasMessage("store is closed");
        assertThatThrownBy(() -> store.topics("/")).isInstanceOf(HistoryStoreException.class).hasMessage("store is closed");
        assertThatThrownBy(() -> store.readChunk("/t", 1, 3, 10, 100)).isInstanceOf(HistoryStoreException.class);
        assertThatThrownBy(() -> store.seqAtTime("/t", 0)).isInstanceOf(HistoryStoreException.class);
        assertThatThrownBy(() -> store.idempotencyEntry("/t", "k")).isInstanceOf(HistoryStoreException.class);
        assertThatThrownBy(store::applyRetention).isInstanceOf(HistoryStoreException.class).hasMessage("store is closed");
        store = null;
    }

    @Test
    void closeFromAnAppendCallbackIsRefusedAndTheStoreCarriesOn() {
        // Shows: close() on the writer thread (it would wait for itself) fails fast instead of deadlocking.
        Gate gate = new Gate();
        store = RocksHistoryStore.open(Stores.config(dir).withWriteListener(gate));
        CompletableFuture<Void> first = store.append(AppendRequest.of("/t", record("/t", 1, 1)));
        gate.awaitWriterHeld();
        CompletableFuture<Void> second = store.append(AppendRequest.of("/t", record("/t", 2, 2)));
        CompletableFuture<Void> closeInCallback = second.thenRun(store::close);
        gate.release();

        // Wait on the dependent only: a thread waiting on `second` itself may run its callbacks.
        assertThatThrownBy(() -> closeInCallback.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("writer thread");
        await(first);
        await(second);
        Stores.appendRange(store, "/t", 3, 3);
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 3, 3));
    }

    @Test
    void aFullAppendQueueRefusesAppendsAtOnceWithOverloaded() {
        // Shows: the queue bound holds: while the writer is held, maxPendingAppends appends wait and the
        // next one fails at once with HistoryStoreOverloadedException; the waiting ones then complete.
        Gate gate = new Gate();
        store = RocksHistoryStore.open(Stores.config(dir).withPendingLimits(4, 1 << 20).withWriteListener(gate));
        CompletableFuture<Void> first = store.append(AppendRequest.of("/t", record("/t", 1, 1)));
        gate.awaitWriterHeld();
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (long seq = 2; seq <= 5; seq++) {
            queued.add(store.append(AppendRequest.of("/t", record("/t", seq, seq))));
        }
        CompletableFuture<Void> overflow = store.append(AppendRequest.of("/other", record("/other", 1, 1)));

        assertThat(overflow).isCompletedExceptionally();
        assertThatThrownBy(() -> await(overflow)).isInstanceOf(HistoryStoreOverloadedException.class)
                .hasMessageContaining("append queue is full");
        assertThat(queued).allSatisfy(f -> assertThat(f).isNotDone());
        gate.release();
        await(first);
        queued.forEach(Stores::await);
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 5, 5));
        assertThat(store.topic("/other")).isEmpty();
    }

    @Test
    void theQueueByteBoundAlsoRefusesButAlwaysTakesOneAppendWhenEmpty() {
        // Shows: maxPendingBytes bounds queued bytes; an append larger than the bound is still taken
        // when nothing else waits, so no body size is unwritable.
        Gate gate = new Gate();
        store = RocksHistoryStore.open(Stores.config(dir).withPendingLimits(100, 1_000).withWriteListener(gate));
        CompletableFuture<Void> first = store.append(AppendRequest.of("/t", record("/t", 1, 1)));
        gate.awaitWriterHeld();
        CompletableFuture<Void> big = store.append(AppendRequest.of("/t", new HistoryRecord(2, 2, new byte[5_000])));
        CompletableFuture<Void> next = store.append(AppendRequest.of("/t", new HistoryRecord(3, 3, new byte[10])));
        assertThat(next).isCompletedExceptionally();
        assertThatThrownBy(() -> await(next)).isInstanceOf(HistoryStoreOverloadedException.class);
        gate.release();
        await(first);
        await(big);
        assertThat(store.readLast("/t", 1).get(0).body()).hasSize(5_000);
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFailsNamingIt() {
        // Shows: one directory, one open store: a second open fails with a message naming the
        // directory instead of RocksDB's raw lock error (the other-process case is in CrashSafetyTest).
        store = RocksHistoryStore.open(Stores.config(dir));
        assertThatThrownBy(() -> RocksHistoryStore.open(Stores.config(dir)))
                .isInstanceOf(HistoryStoreException.class)
                .hasMessage("data directory " + dir + " is already open in this process");
        Stores.appendRange(store, "/t", 1, 1);
    }

    @Test
    void anUnusableDataDirectoryIsRefusedNamingIt() throws IOException {
        // Shows: a data directory that is a file, or lies under a file, fails with a message naming it.
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        assertThatThrownBy(() -> RocksHistoryStore.open(Stores.config(file)))
                .isInstanceOf(HistoryStoreException.class)
                .hasMessage("data directory " + file + " is not a directory");
        Path underFile = file.resolve("history");
        assertThatThrownBy(() -> RocksHistoryStore.open(Stores.config(underFile)))
                .isInstanceOf(HistoryStoreException.class)
                .hasMessageStartingWith("cannot create data directory " + underFile);
    }

    @Test
    void theConfigNamesTheSettingItRefuses() {
        // Shows: each bad setting is caught before anything opens, with its name in the message.
        HistoryStoreConfig good = HistoryStoreConfig.defaults(dir);
        assertThatThrownBy(() -> good.withBatchLimits(0, 1)).hasMessageContaining("maxBatchRecords");
        assertThatThrownBy(() -> good.withBatchLimits(1, 0)).hasMessageContaining("maxBatchBytes");
        assertThatThrownBy(() -> good.withPendingLimits(0, 1)).hasMessageContaining("maxPendingAppends");
        assertThatThrownBy(() -> good.withPendingLimits(1, 0)).hasMessageContaining("maxPendingBytes");
        assertThatThrownBy(() -> good.withRetentionIntervalMillis(0)).hasMessageContaining("retentionIntervalMillis");
        assertThatThrownBy(() -> good.withIdempotency(-1, 1)).hasMessageContaining("idempotencyRetentionMillis");
        assertThatThrownBy(() -> good.withIdempotency(1, -1)).hasMessageContaining("idempotencyKeysPerTopic");
        assertThatThrownBy(() -> good.withWriteListener(null)).hasMessageContaining("writeListener");
        assertThatThrownBy(() -> good.withClockMillis(null)).hasMessageContaining("clockMillis");
        assertThatThrownBy(() -> HistoryStoreConfig.defaults(null)).hasMessageContaining("dataDir");
        assertThatThrownBy(() -> good.withRetention(List.of(new RetentionRule("/a", 1, 0, 0), new RetentionRule("/a", 2, 0, 0))))
                .hasMessageContaining("retention").hasMessageContaining("/a");
        assertThat(good.maxBatchRecords()).isEqualTo(4_096);
        assertThat(good.idempotencyRetentionMillis()).isEqualTo(24L * 3600 * 1000);
        assertThat(good.idempotencyKeysPerTopic()).isEqualTo(100_000);
        assertThat(good.retentionIntervalMillis()).isEqualTo(5_000);
    }
}
