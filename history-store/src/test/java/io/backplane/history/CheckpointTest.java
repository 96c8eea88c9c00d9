package io.backplane.history;

import static io.backplane.history.Stores.appendRange;
import static io.backplane.history.Stores.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backups: a checkpoint taken while appends flow opens as a consistent store of its own. */
class CheckpointTest {
    private static final int TOPICS = 8;

    @TempDir
    Path dir;
    @TempDir
    Path backups;
    private RocksHistoryStore store;
    private RocksHistoryStore restored;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
        if (restored != null) {
            restored.close();
        }
    }

    @Test
    void aCheckpointTakenUnderLoadHoldsEveryEarlierAcknowledgedAppendAndNoHoles() throws Exception {
        // Shows: appends acknowledged before checkpoint() are all in the copy, each topic's history in
        // it is gapless from seq 1 with the original bodies, idempotency keys come along, and appends
        // after the checkpoint do not leak into it.
        store = RocksHistoryStore.open(Stores.config(dir));
        await(store.append(new AppendRequest("/keyed", Stores.record("/keyed", 1, 1_001), "k1", Bodies.ackFor("/keyed", 1))));
        AtomicLongArray acked = new AtomicLongArray(TOPICS);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                long seq = 1;
                while (!stop.get()) {
                    List<CompletableFuture<Void>> batch = new ArrayList<>();
                    for (int t = 0; t < TOPICS; t++) {
                        final int topic = t;
                        final long s = seq;
                        batch.add(store.append(AppendRequest.of(topic(t), Stores.record(topic(t), seq, 1_000 + seq)))
                                .thenRun(() -> acked.accumulateAndGet(topic, s, Math::max)));
                    }
                    CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
                    seq++;
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "appender");
        writer.start();
        try {
            while (acked.get(TOPICS - 1) < 200) {
                Thread.onSpinWait();
            }
            long[] ackedBefore = new long[TOPICS];
            for (int t = 0; t < TOPICS; t++) {
                ackedBefore[t] = acked.get(t);
            }
            Path backup = backups.resolve("backup-1");
            store.checkpoint(backup);
            while (acked.get(0) < ackedBefore[0] + 100) {
                Thread.onSpinWait(); // appends go on after the checkpoint
            }
            stop.set(true);
            writer.join();
            assertThat(failure.get()).isNull();

            restored = RocksHistoryStore.open(Stores.config(backup));
            for (int t = 0; t < TOPICS; t++) {
                TopicInfo info = restored.topic(topic(t)).orElseThrow();
                assertThat(info.lastSeq()).as("topic %s", t).isGreaterThanOrEqualTo(ackedBefore[t]);
                assertThat(info.lastSeq()).as("topic %s", t).isLessThan(store.topic(topic(t)).orElseThrow().lastSeq());
                List<HistoryRecord> records = restored.readFrom(topic(t), 1, 1_000_000);
                assertThat(records).hasSize((int) info.lastSeq());
                for (int i = 0; i < records.size(); i++) {
                    assertThat(records.get(i).seq()).isEqualTo(i + 1);
                    assertThat(records.get(i).body()).isEqualTo(Bodies.of(topic(t), i + 1));
                }
            }
            assertThat(restored.idempotencyEntry("/keyed", "k1")).hasValueSatisfying(v -> assertThat(v).isEqualTo(Bodies.ackFor("/keyed", 1)));
            // The restored store is a working store: it takes the next seq.
            long next = restored.topic(topic(0)).orElseThrow().lastSeq() + 1;
            appendRange(restored, topic(0), next, next);
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void aCheckpointNeverOverwritesAnExistingDirectory() throws Exception {
        store = RocksHistoryStore.open(Stores.config(dir));
        appendRange(store, "/t", 1, 3);
        Path existing = Files.createDirectory(backups.resolve("taken"));
        assertThatThrownBy(() -> store.checkpoint(existing)).isInstanceOf(HistoryStoreException.class)
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> store.checkpoint(backups.resolve("no/such/parent"))).isInstanceOf(HistoryStoreException.class)
                .hasMessageContaining("is not a directory");
        try (var entries = Files.list(existing)) {
            assertThat(entries).isEmpty();
        }
    }

    private static String topic(int t) {
        return "/load/" + t;
    }
}
