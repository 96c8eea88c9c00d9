package io.backplane.history;

import static io.backplane.history.Stores.appendRange;
import static io.backplane.history.Stores.await;
import static io.backplane.history.Stores.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppendAndReadTest {
    @TempDir
    Path dir;
    private RocksHistoryStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private RocksHistoryStore open(HistoryStoreConfig config) {
        store = RocksHistoryStore.open(config);
        return store;
    }

    static Long[] seqs(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toArray(Long[]::new);
    }

    static void assertRecord(HistoryRecord record, String topic, long seq, long timestampMillis) {
        assertThat(record.seq()).isEqualTo(seq);
        assertThat(record.timestampMillis()).isEqualTo(timestampMillis);
        assertThat(record.body()).isEqualTo(Bodies.of(topic, seq));
    }

    @Test
    void appendedRecordsReadBackOldestFirstWithTheirTimestampsAndBodies() {
        // Shows: what an acknowledged append wrote, readFrom returns unchanged and in seq order, from any start.
        open(Stores.config(dir));
        appendRange(store, "/a", 1, 50, seq -> 5_000 + seq * 10);

        List<HistoryRecord> all = store.readFrom("/a", 1, 1_000);
        assertThat(all).extracting(HistoryRecord::seq).containsExactly(seqs(1, 50));
        all.forEach(r -> assertRecord(r, "/a", r.seq(), 5_000 + r.seq() * 10));
        assertThat(store.readFrom("/a", 20, 5)).extracting(HistoryRecord::seq).containsExactly(seqs(20, 24));
        assertThat(store.readFrom("/a", 0, 2)).extracting(HistoryRecord::seq).containsExactly(1L, 2L);
        assertThat(store.readFrom("/a", 51, 5)).isEmpty();
        assertThat(store.readFrom("/a", 1, 0)).isEmpty();
        assertThat(store.topic("/a")).contains(new TopicInfo("/a", 1, 50, 50));
    }

    @Test
    void anUnknownTopicHasNoBoundsAndReadsEmpty() {
        // Shows: reads of a topic never appended to answer "nothing" rather than failing.
        open(Stores.config(dir));
        assertThat(store.topic("/none")).isEmpty();
        assertThat(store.readFrom("/none", 1, 10)).isEmpty();
        assertThat(store.readLast("/none", 10)).isEmpty();
        assertThat(store.seqAtTime("/none", 0)).isEqualTo(1);
        assertThat(store.readChunk("/none", 1, 10, 10, 100)).isEqualTo(new HistoryChunk("/none", List.of(), 1, true));
        assertThat(store.idempotencyEntry("/none", "k")).isEmpty();
    }

    @Test
    void anAppendOutOfSeqFailsAsAProgrammerErrorAndLeavesTheRestOfItsBatchIntact() {
        // Shows: the gapless check runs on every append, also within one group-commit batch: a duplicate,
        // a gap and a wrong first seq fail with IllegalStateException, and the valid appends queued
        // around them in the same batch are written.
        Gate gate = new Gate();
        open(Stores.config(dir).withWriteListener(gate));
        CompletableFuture<Void> warmup = store.append(AppendRequest.of("/warmup", record("/warmup", 1, 1)));
        gate.awaitWriterHeld();

        CompletableFuture<Void> a1 = store.append(AppendRequest.of("/a", record("/a", 1, 1)));
        CompletableFuture<Void> a2 = store.append(AppendRequest.of("/a", record("/a", 2, 2)));
        CompletableFuture<Void> a2again = store.append(AppendRequest.of("/a", record("/a", 2, 2)));
        CompletableFuture<Void> a4 = store.append(AppendRequest.of("/a", record("/a", 4, 4)));
        CompletableFuture<Void> a3 = store.append(AppendRequest.of("/a", record("/a", 3, 3)));
        CompletableFuture<Void> b2 = store.append(AppendRequest.of("/b", record("/b", 2, 2)));
        CompletableFuture<Void> b1 = store.append(AppendRequest.of("/b", record("/b", 1, 1)));
        gate.release();

        await(CompletableFuture.allOf(warmup, a1, a2, a3, b1));
        assertThatThrownBy(() -> await(a2again)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("topic /a").hasMessageContaining("seq 2 refused, the next seq is 3");
        assertThatThrownBy(() -> await(a4)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("seq 4 refused, the next seq is 3");
        assertThatThrownBy(() -> await(b2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("topic /b").hasMessageContaining("the next seq is 1");
        assertThat(gate.batchRecords).containsExactly(1, 4);
        assertThat(store.readFrom("/a", 1, 10)).extracting(HistoryRecord::seq).containsExactly(1L, 2L, 3L);
        store.readFrom("/a", 1, 10).forEach(r -> assertRecord(r, "/a", r.seq(), r.seq()));
        assertThat(store.topic("/b")).contains(new TopicInfo("/b", 1, 1, 1));
    }

    @Test
    void readLastReturnsTheNewestRecordsOldestFirst() {
        // Shows: readLast(n) is the last n seqs in ascending order, all of them when fewer exist.
        open(Stores.config(dir));
        appendRange(store, "/a", 1, 10);
        assertThat(store.readLast("/a", 3)).extracting(HistoryRecord::seq).containsExactly(8L, 9L, 10L);
        assertThat(store.readLast("/a", 100)).extracting(HistoryRecord::seq).containsExactly(seqs(1, 10));
        assertThat(store.readLast("/a", 0)).isEmpty();
        store.readLast("/a", 3).forEach(r -> assertRecord(r, "/a", r.seq(), 1_000 + r.seq()));
    }

    @Test
    void seqAtTimeFindsTheFirstRecordAtOrAfterATime() {
        // Shows: seqAtTime agrees with a linear scan for times before, between, on and after the
        // (non-decreasing, repeating) timestamps, and is lastSeq + 1 past the end.
        open(Stores.config(dir));
        appendRange(store, "/t", 1, 100, seq -> 1_000 + (seq / 3) * 10);
        List<HistoryRecord> all = store.readFrom("/t", 1, 1_000);
        for (long time = 900; time <= 1_400; time += 3) {
            long t = time;
            long expected = all.stream().filter(r -> r.timestampMillis() >= t).mapToLong(HistoryRecord::seq)
                    .findFirst().orElse(101);
            assertThat(store.seqAtTime("/t", time)).as("seqAtTime(%s)", time).isEqualTo(expected);
        }
    }

    @Test
    void topicsListsEveryTopicUnderAPrefixSortedByNameWithItsBounds() {
        // Shows: topics(prefix) is a plain string-prefix match, sorted by name, with first/last/count.
        open(Stores.config(dir));
        appendRange(store, "/news/b", 1, 3);
        appendRange(store, "/news/a", 1, 2);
        appendRange(store, "/newsroom/x", 1, 1);
        appendRange(store, "/quotes/ibm", 1, 1);

        assertThat(store.topics("/news/")).containsExactly(
                new TopicInfo("/news/a", 1, 2, 2), new TopicInfo("/news/b", 1, 3, 3));
        assertThat(store.topics("/news")).extracting(TopicInfo::topic)
                .containsExactly("/news/a", "/news/b", "/newsroom/x");
        assertThat(store.topics("/")).extracting(TopicInfo::topic)
                .containsExactly("/news/a", "/news/b", "/newsroom/x", "/quotes/ibm");
        assertThat(store.topics("/none")).isEmpty();
    }

    @Test
    void readChunkStopsAtMaxRecordsOrMaxBytesButAlwaysCarriesOneRecord() {
        // Shows: each bound of readChunk on its own, the one-record minimum, and how nextSeq/last
        // report the end of the asked range and of the history.
        open(Stores.config(dir));
        for (long seq = 1; seq <= 10; seq++) {
            await(store.append(AppendRequest.of("/c", new HistoryRecord(seq, seq, Bodies.sized("/c", seq, 100)))));
        }
        HistoryChunk byCount = store.readChunk("/c", 1, 10, 3, 10_000);
        assertThat(byCount.records()).extracting(HistoryRecord::seq).containsExactly(1L, 2L, 3L);
        assertThat(byCount.nextSeq()).isEqualTo(4);
        assertThat(byCount.last()).isFalse();

        HistoryChunk byBytes = store.readChunk("/c", 1, 10, 100, 250);
        assertThat(byBytes.records()).extracting(HistoryRecord::seq).containsExactly(1L, 2L);
        assertThat(byBytes.nextSeq()).isEqualTo(3);

        HistoryChunk oversized = store.readChunk("/c", 5, 10, 100, 50);
        assertThat(oversized.records()).extracting(HistoryRecord::seq).containsExactly(5L);
        assertThat(oversized.records().get(0).body()).isEqualTo(Bodies.sized("/c", 5, 100));
        assertThat(oversized.nextSeq()).isEqualTo(6);

        HistoryChunk tail = store.readChunk("/c", 8, 10, 100, 10_000);
        assertThat(tail.records()).extracting(HistoryRecord::seq).containsExactly(8L, 9L, 10L);
        assertThat(tail.nextSeq()).isEqualTo(11);
        assertThat(tail.last()).isTrue();

        HistoryChunk pastTheEnd = store.readChunk("/c", 1, 1_000, 1_000, 1 << 20);
        assertThat(pastTheEnd.records()).hasSize(10);
        assertThat(pastTheEnd.last()).isTrue();

        assertThat(store.readChunk("/c", 11, 20, 10, 1_000)).isEqualTo(new HistoryChunk("/c", List.of(), 11, true));
        assertThat(store.readChunk("/c", 5, 4, 10, 1_000)).isEqualTo(new HistoryChunk("/c", List.of(), 5, true));
        assertThatThrownBy(() -> store.readChunk("/c", 1, 10, 0, 1_000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anIdempotencyEntryIsReadBackForItsTopicOnly() {
        // Shows: the value stored with a key in its record's batch is found under (topic, key) and no other.
        open(Stores.config(dir));
        byte[] ack = "first ack".getBytes(StandardCharsets.UTF_8);
        await(store.append(new AppendRequest("/a", record("/a", 1, 1), "key-1", ack)));
        await(store.append(AppendRequest.of("/b", record("/b", 1, 1))));

        assertThat(store.idempotencyEntry("/a", "key-1")).hasValueSatisfying(v -> assertThat(v).isEqualTo(ack));
        assertThat(store.idempotencyEntry("/a", "key-2")).isEmpty();
        assertThat(store.idempotencyEntry("/b", "key-1")).isEmpty();
    }

    @Test
    void aKeyWrittenAgainTakesItsNewValue() {
        // Shows: the store does not refuse a repeated key (the node decides that); the newest value wins,
        // also when both writes land in one batch.
        Gate gate = new Gate();
        open(Stores.config(dir).withWriteListener(gate));
        CompletableFuture<Void> first = store.append(new AppendRequest("/a", record("/a", 1, 1), "k", bytes("v1")));
        gate.awaitWriterHeld();
        CompletableFuture<Void> second = store.append(new AppendRequest("/a", record("/a", 2, 2), "k", bytes("v2")));
        CompletableFuture<Void> third = store.append(new AppendRequest("/a", record("/a", 3, 3), "k", bytes("v3")));
        gate.release();
        await(CompletableFuture.allOf(first, second, third));

        assertThat(gate.batchRecords).containsExactly(1, 2);
        assertThat(store.idempotencyEntry("/a", "k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v3")));
    }

    @Test
    void theWriteListenerIsToldAboutEveryBatch() {
        // Shows: the metrics hook sees every appended record exactly once, with a size and a duration.
        AtomicLong records = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong nanos = new AtomicLong();
        open(Stores.config(dir).withWriteListener((r, b, n) -> {
            records.addAndGet(r);
            bytes.addAndGet(b);
            nanos.addAndGet(n);
        }));
        appendRange(store, "/a", 1, 500);
        appendRange(store, "/b", 1, 20);
        assertThat(records.get()).isEqualTo(520);
        assertThat(bytes.get()).isGreaterThan(520L * 16);
        assertThat(nanos.get()).isPositive();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
