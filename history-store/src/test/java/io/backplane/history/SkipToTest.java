package io.backplane.history;

import static io.backplane.history.AppendAndReadTest.seqs;
import static io.backplane.history.Stores.appendRange;
import static io.backplane.history.Stores.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skipTo}: a replica whose donor's retention already trimmed the records it lacks drops what it
 * holds and continues where the donor's history starts, as if its own retention had trimmed that far.
 */
class SkipToTest {
    private static final long NOW_MILLIS = 1_000_000;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(NOW_MILLIS);
    private RocksHistoryStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private void reopen(RetentionRule... rules) {
        reopen(Stores.config(dir).withRetention(List.of(rules)).withClockMillis(clock));
    }

    private void reopen(HistoryStoreConfig config) {
        if (store != null) {
            store.close();
        }
        store = RocksHistoryStore.open(config);
    }

    /** Appends {@code fromSeq..toSeq}, each with key "key-seq", and waits for all of them. */
    private void appendWithKeys(String topic, long fromSeq, long toSeq, long timeBase) {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long seq = fromSeq; seq <= toSeq; seq++) {
            futures.add(store.append(new AppendRequest(topic, new HistoryRecord(seq, timeBase + seq, Bodies.of(topic + timeBase, seq)),
                    "key-" + seq, Bodies.ackFor(topic, seq))));
        }
        await(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)));
    }

    @Test
    void skippingAnUnknownTopicCreatesAnEmptyTopicThatContinuesAtFirstSeqAlsoAfterARestart() {
        // Shows: a brand-new node whose donor trimmed the start of a topic can take the donor's
        // records: the topic exists, empty, and its next append is firstSeq (not 1), also reopened.
        reopen();
        await(store.skipTo("/new", 101));

        assertThat(store.topic("/new")).contains(new TopicInfo("/new", 101, 100, 0));
        assertThat(store.topics("/")).containsExactly(new TopicInfo("/new", 101, 100, 0));
        assertThatThrownBy(() -> await(store.append(AppendRequest.of("/new", Stores.record("/new", 1, 1_001)))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the next seq is 101");

        reopen();
        assertThat(store.topic("/new")).contains(new TopicInfo("/new", 101, 100, 0));
        appendRange(store, "/new", 101, 103);
        assertThat(store.readFrom("/new", 1, 100)).extracting(HistoryRecord::seq).containsExactly(seqs(101, 103));
        reopen();
        assertThat(store.topic("/new")).contains(new TopicInfo("/new", 101, 103, 3));
    }

    @Test
    void skippingATopicWithRecordsLeavesExactlyWhatRetentionLeavesWhenItTrimsEverything() {
        // Shows: after records 1..10 (with keys) are skipped to 50, every read answers as it does for
        // a twin topic whose 1..49 retention trimmed: same bounds, same empty reads, same nextSeq, same
        // seqAtTime; the keys are gone; and both continue at 50.
        reopen(new RetentionRule("/trimmed", 0, 1_000, 0));
        appendWithKeys("/skipped", 1, 10, 1_000);
        appendRange(store, "/trimmed", 1, 49);
        store.applyRetention();
        await(store.skipTo("/skipped", 50));

        assertThat(store.topic("/trimmed")).contains(new TopicInfo("/trimmed", 50, 49, 0));
        assertThat(store.topic("/skipped")).contains(new TopicInfo("/skipped", 50, 49, 0));
        for (String topic : List.of("/skipped", "/trimmed")) {
            assertThat(store.readFrom(topic, 1, 100)).as(topic).isEmpty();
            assertThat(store.readLast(topic, 100)).as(topic).isEmpty();
            assertThat(store.readChunk(topic, 1, 1_000, 100, 1 << 20)).as(topic)
                    .isEqualTo(new HistoryChunk(topic, List.of(), 50, true));
            TransferChunk transfer = store.readTransferChunk(topic, 5, 60, 100, 1 << 20);
            assertThat(transfer.appends()).as(topic).isEmpty();
            assertThat(transfer.nextSeq()).as(topic).isEqualTo(50);
            assertThat(transfer.last()).as(topic).isTrue();
            assertThat(store.seqAtTime(topic, 0)).as(topic).isEqualTo(50);
            assertThat(store.seqAtTime(topic, Long.MAX_VALUE)).as(topic).isEqualTo(50);
        }
        assertThat(store.topics("/")).containsExactly(new TopicInfo("/skipped", 50, 49, 0), new TopicInfo("/trimmed", 50, 49, 0));
        for (long seq = 1; seq <= 10; seq++) {
            assertThat(store.idempotencyEntry("/skipped", "key-" + seq)).as("key-" + seq).isEmpty();
        }
        assertThatThrownBy(() -> await(store.append(AppendRequest.of("/skipped", Stores.record("/skipped", 11, 2_011)))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the next seq is 50");

        appendWithKeys("/skipped", 50, 52, 5_000);
        appendRange(store, "/trimmed", 50, 52);
        assertThat(store.readFrom("/skipped", 1, 100)).extracting(HistoryRecord::seq).containsExactly(seqs(50, 52));
        assertThat(store.readFrom("/skipped", 1, 100).get(0).body()).isEqualTo(Bodies.of("/skipped" + 5_000, 50));
        assertThat(store.readTransferChunk("/skipped", 1, 100, 100, 1 << 20).appends())
                .extracting(AppendRequest::idempotencyKey).containsExactly("key-50", "key-51", "key-52");
        assertThat(store.topics("/")).containsExactly(new TopicInfo("/skipped", 50, 52, 3), new TopicInfo("/trimmed", 50, 52, 3));
    }

    @Test
    void aSkippedHistoryReopensSkippedWithoutItsRecordsOrKeys() {
        // Shows: the skip is durable: after a restart the old records and keys do not come back, the
        // topic still continues at firstSeq, and the key count loaded from disk is consistent (a
        // negative one would refuse to open).
        reopen();
        appendWithKeys("/t", 1, 10, 1_000);
        appendWithKeys("/other", 1, 3, 1_000);
        await(store.skipTo("/t", 1_000));
        reopen();

        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1_000, 999, 0));
        assertThat(store.readFrom("/t", 1, 100)).isEmpty();
        assertThat(store.idempotencyEntry("/t", "key-3")).isEmpty();
        assertThat(store.topic("/other")).contains(new TopicInfo("/other", 1, 3, 3));
        assertThat(store.idempotencyEntry("/other", "key-3")).isPresent();

        appendWithKeys("/t", 1_000, 1_001, 7_000);
        reopen();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1_000, 1_001, 2));
        assertThat(store.readFrom("/t", 1, 100)).extracting(HistoryRecord::timestampMillis).containsExactly(8_000L, 8_001L);
        assertThat(store.idempotencyEntry("/t", "key-1001")).hasValueSatisfying(v -> assertThat(v).isEqualTo(Bodies.ackFor("/t", 1_001)));
    }

    @Test
    void skippingToOrBelowWhereTheTopicAlreadyContinuesChangesNothing() {
        // Shows: no gap, no skip: records are never dropped to be taken again, a topic's next seq never
        // moves back, and an unknown topic skipped to 1 is not created.
        reopen(new RetentionRule("/", 5, 0, 0));
        appendWithKeys("/t", 1, 10, 1_000);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 6, 10, 5));

        await(store.skipTo("/t", 11));
        await(store.skipTo("/t", 7));
        await(store.skipTo("/t", 1));
        await(store.skipTo("/nope", 1));
        assertThat(store.topics("/")).containsExactly(new TopicInfo("/t", 6, 10, 5));
        assertThat(store.readFrom("/t", 1, 100)).extracting(HistoryRecord::seq).containsExactly(seqs(6, 10));
        assertThat(store.idempotencyEntry("/t", "key-10")).isPresent();
        assertThatThrownBy(() -> store.skipTo("/t", 0)).isInstanceOf(IllegalArgumentException.class);

        await(store.skipTo("/t", 12)); // the smallest real gap: seq 11
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 12, 11, 0));
    }

    @Test
    void aSkipIsOrderedWithTheAppendsQueuedAroundIt() throws Exception {
        // Shows: without waiting in between, appends 1..200, a skip to 1,000, then an append of 201
        // (refused: the skip came first) and appends 1,000..1,029 (accepted); and a skip queued behind
        // appends that close the gap is a no-op.
        reopen();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long seq = 1; seq <= 200; seq++) {
            futures.add(store.append(AppendRequest.of("/t", new HistoryRecord(seq, 1_000 + seq, Bodies.of("/t", seq)))));
        }
        futures.add(store.skipTo("/t", 1_000));
        CompletableFuture<Void> late = store.append(AppendRequest.of("/t", new HistoryRecord(201, 1_201, Bodies.of("/t", 201))));
        for (long seq = 1_000; seq < 1_030; seq++) {
            futures.add(store.append(AppendRequest.of("/t", new HistoryRecord(seq, 9_000 + seq, Bodies.of("/new", seq)))));
        }
        for (long seq = 1; seq <= 49; seq++) {
            futures.add(store.append(AppendRequest.of("/u", new HistoryRecord(seq, 1_000 + seq, Bodies.of("/u", seq)))));
        }
        futures.add(store.skipTo("/u", 50));
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        assertThatThrownBy(() -> await(late)).isInstanceOf(IllegalStateException.class).hasMessageContaining("the next seq is 1000");
        List<HistoryRecord> records = store.readFrom("/t", 1, 1_000);
        assertThat(records).extracting(HistoryRecord::seq).containsExactly(seqs(1_000, 1_029));
        assertThat(records.get(0).body()).isEqualTo(Bodies.of("/new", 1_000));
        assertThat(store.topic("/u")).contains(new TopicInfo("/u", 1, 49, 49));
    }

    @Test
    void retentionAfterASkipKeepsItsBoundsAndAReopenedStoreAgrees() {
        // Shows: retention sees a skipped topic as one it trimmed itself: it neither fails on it nor
        // moves it back, and the trimmedThrough it writes later stays above the skip.
        reopen(new RetentionRule("/", 3, 0, 0));
        appendWithKeys("/t", 1, 10, 1_000);
        await(store.skipTo("/t", 100));
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 100, 99, 0));
        appendRange(store, "/t", 100, 109);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 107, 109, 3));
        reopen(new RetentionRule("/", 3, 0, 0));
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 107, 109, 3));
    }

    @Test
    void skipsRacingRetentionKeyPruningAndReadersNeverResurrectOrMixHistories() throws Exception {
        // Shows: rounds of "append 30 records with keys, skip 100 seqs ahead" while one thread runs
        // retention (a count rule and key pruning) back to back and another reads. No read is a mix of
        // the histories before and after a skip (every chunk is gapless; no chunk's nextSeq and no
        // seqAtTime answer points into a skipped gap, which only a read that took the old bounds and
        // the new records gives), retention never fails, and a reopened store reports what the
        // running one did: a trim from pre-skip bounds would have written a lower trimmedThrough.
        reopen(Stores.config(dir).withRetention(List.of(new RetentionRule("/", 20, 0, 0))).withClockMillis(clock)
                .withIdempotency(1, 5));
        Map<Long, Long> gaps = new ConcurrentHashMap<>(); // first skipped seq -> last skipped seq
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread retention = new Thread(() -> {
            try {
                while (!stop.get()) {
                    store.applyRetention();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "racing-retention");
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    HistoryChunk chunk = store.readChunk("/t", 1, Long.MAX_VALUE, 1_000, 1 << 20);
                    List<HistoryRecord> records = chunk.records();
                    for (int i = 1; i < records.size(); i++) {
                        if (records.get(i).seq() != records.get(0).seq() + i) {
                            throw new AssertionError("chunk " + records.stream().map(HistoryRecord::seq).toList() + " has a hole");
                        }
                    }
                    if (records.isEmpty()) {
                        checkNotInAGap(gaps, chunk.nextSeq(), "an empty chunk's nextSeq");
                    }
                    checkNotInAGap(gaps, store.seqAtTime("/t", 0), "seqAtTime");
                    TransferChunk transfer = store.readTransferChunk("/t", 1, Long.MAX_VALUE, 1_000, 1 << 20);
                    if (transfer.appends().isEmpty()) {
                        checkNotInAGap(gaps, transfer.nextSeq(), "an empty transfer chunk's nextSeq");
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "racing-reader");
        retention.start();
        reader.start();
        long next = 1;
        try {
            for (int round = 0; round < 300 && failure.get() == null; round++) {
                appendWithKeys("/t", next, next + 29, 0);
                long last = next + 29;
                gaps.put(last + 1, last + 99);
                await(store.skipTo("/t", last + 100));
                assertThat(store.topic("/t")).contains(new TopicInfo("/t", last + 100, last + 99, 0));
                next = last + 100;
            }
            appendWithKeys("/t", next, next + 29, 0);
        } finally {
            stop.set(true);
            retention.join(10_000);
            reader.join(10_000);
        }
        assertThat(failure.get()).isNull();
        store.applyRetention();
        TopicInfo running = store.topic("/t").orElseThrow();
        assertThat(running).isEqualTo(new TopicInfo("/t", next + 10, next + 29, 20));
        reopen(Stores.config(dir).withRetention(List.of(new RetentionRule("/", 20, 0, 0))).withClockMillis(clock)
                .withIdempotency(1, 5));
        assertThat(store.topic("/t")).contains(running);
        assertThat(store.readFrom("/t", 1, 1_000)).extracting(HistoryRecord::seq).containsExactly(seqs(next + 10, next + 29));
        appendRange(store, "/t", next + 30, next + 30);
    }

    private static void checkNotInAGap(Map<Long, Long> gaps, long seq, String what) {
        for (Map.Entry<Long, Long> gap : gaps.entrySet()) {
            if (seq >= gap.getKey() && seq <= gap.getValue()) {
                throw new AssertionError(what + " is " + seq + ", inside the skipped gap " + gap.getKey() + ".." + gap.getValue());
            }
        }
    }
}
