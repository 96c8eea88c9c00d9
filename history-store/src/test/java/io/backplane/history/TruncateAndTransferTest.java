package io.backplane.history;

import static io.backplane.history.Stores.appendRange;
import static io.backplane.history.Stores.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tail truncation (a replica cutting back to what its group agreed on) and transfer chunks (the
 * records, with their idempotency keys, that a replica ships to another).
 */
class TruncateAndTransferTest {
    private static final long NOW_MILLIS = 1_000_000;

    @TempDir
    Path dir;
    @TempDir
    Path otherDir;
    private final ManualClock clock = new ManualClock(NOW_MILLIS);
    private RocksHistoryStore store;
    private RocksHistoryStore other;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
        if (other != null) {
            other.close();
        }
    }

    private void reopen(RetentionRule... rules) {
        if (store != null) {
            store.close();
        }
        store = RocksHistoryStore.open(Stores.config(dir).withRetention(List.of(rules)).withClockMillis(clock));
    }

    private void appendWithKeys(String topic, long fromSeq, long toSeq, long timeBase) {
        for (long seq = fromSeq; seq <= toSeq; seq++) {
            await(store.append(new AppendRequest(topic, new HistoryRecord(seq, timeBase + seq, Bodies.of(topic + timeBase, seq)),
                    "key-" + seq, Bodies.ackFor(topic, seq))));
        }
    }

    @Test
    void truncationRemovesTheTailAndItsKeysAndTheTopicContinuesAfterTheKeptSeq() {
        // Shows: records and idempotency keys after the kept seq are gone, those before stay, and the
        // next append must be keptSeq + 1 (the seqs are taken again, by the group's messages).
        reopen();
        appendWithKeys("/t", 1, 10, 1_000);
        await(store.truncateAfter("/t", 6));

        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 6, 6));
        assertThat(seqs(store.readFrom("/t", 1, 100))).containsExactlyElementsOf(range(1, 6));
        assertThat(store.idempotencyEntry("/t", "key-6")).isPresent();
        assertThat(store.idempotencyEntry("/t", "key-7")).isEmpty();
        assertThat(store.idempotencyEntry("/t", "key-10")).isEmpty();
        assertThatThrownBy(() -> await(store.append(AppendRequest.of("/t", Stores.record("/t", 11, 2_011)))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the next seq is 7");

        appendWithKeys("/t", 7, 8, 5_000);
        List<HistoryRecord> records = store.readFrom("/t", 7, 100);
        assertThat(records).extracting(HistoryRecord::timestampMillis).containsExactly(5_007L, 5_008L);
        assertThat(records.get(0).body()).isEqualTo(Bodies.of("/t" + 5_000, 7));
        assertThat(store.idempotencyEntry("/t", "key-7")).isPresent();
    }

    @Test
    void aTruncatedHistoryReopensAsTruncatedWithItsNewTail() {
        // Shows: the truncation is durable; after a restart the old tail does not come back.
        reopen();
        appendWithKeys("/t", 1, 10, 1_000);
        await(store.truncateAfter("/t", 4));
        appendWithKeys("/t", 5, 6, 7_000);
        reopen();

        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 6, 6));
        assertThat(store.readFrom("/t", 5, 100)).extracting(HistoryRecord::timestampMillis).containsExactly(7_005L, 7_006L);
        assertThat(store.idempotencyEntry("/t", "key-9")).isEmpty();
        assertThat(store.idempotencyEntry("/t", "key-5")).hasValueSatisfying(v -> assertThat(v).isEqualTo(Bodies.ackFor("/t", 5)));
    }

    @Test
    void byteCountsFollowATruncationSoByteRetentionStaysExact() {
        // Shows: the removed bodies leave the topic's byte total (also across a restart). Were they
        // still counted, the 1,000-byte rule would trim records that fit.
        reopen(new RetentionRule("/", 0, 0, 1_000));
        appendSized("/t", 1, 9, 100);
        await(store.truncateAfter("/t", 5));
        appendSized("/t", 6, 10, 100);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 10, 10));

        reopen(new RetentionRule("/", 0, 0, 1_000));
        await(store.truncateAfter("/t", 8));
        appendSized("/t", 9, 10, 100);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 10, 10));
        appendSized("/t", 11, 11, 100);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 2, 11, 10));
    }

    @Test
    void truncatingBelowWhatRetentionKeptIsRefusedAndTruncatingToItEmptiesTheTopic() {
        // Shows: a history retention already dropped cannot be re-taken, so cutting into it is an
        // error; cutting exactly to it leaves an empty topic that continues at the right seq, also
        // after a restart (trimmedThrough is kept).
        reopen(new RetentionRule("/", 5, 0, 0));
        appendRange(store, "/t", 1, 10);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 6, 10, 5));

        assertThatThrownBy(() -> await(store.truncateAfter("/t", 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retention already removed everything up to seq 5");
        await(store.truncateAfter("/t", 5));
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 6, 5, 0));
        reopen(new RetentionRule("/", 5, 0, 0));
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 6, 5, 0));
        appendRange(store, "/t", 6, 6);
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 6, 6, 1));
    }

    @Test
    void aTopicTruncatedToNothingReopensEmptyAndContinuesAtOne() {
        // Shows: truncateAfter(topic, 0) (a node dropping a topic its LAN never committed) leaves a
        // named topic with no record and no trim; the store still opens, and the topic takes seq 1.
        reopen();
        appendWithKeys("/t", 1, 3, 1_000);
        await(store.truncateAfter("/t", 0));
        reopen();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 0, 0));
        assertThat(store.idempotencyEntry("/t", "key-1")).isEmpty();
        appendRange(store, "/t", 1, 2);
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 1, 2, 2));
    }

    @Test
    void truncatingAnUnknownTopicOrBeyondItsEndChangesNothing() {
        reopen();
        appendRange(store, "/t", 1, 3);
        await(store.truncateAfter("/nope", 0));
        await(store.truncateAfter("/t", 3));
        await(store.truncateAfter("/t", 99));
        assertThat(store.topics("/")).containsExactly(new TopicInfo("/t", 1, 3, 3));
        assertThatThrownBy(() -> store.truncateAfter("/t", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTruncationIsOrderedWithTheAppendsQueuedAroundIt() throws Exception {
        // Shows: without waiting in between, appends 1..200, a truncation after 120, then appends
        // 121..150 of other messages: each append lands on the side of the truncation it was queued on.
        reopen();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long seq = 1; seq <= 200; seq++) {
            futures.add(store.append(AppendRequest.of("/t", new HistoryRecord(seq, 1_000 + seq, Bodies.of("/t", seq)))));
        }
        futures.add(store.truncateAfter("/t", 120));
        for (long seq = 121; seq <= 150; seq++) {
            futures.add(store.append(AppendRequest.of("/t", new HistoryRecord(seq, 9_000 + seq, Bodies.of("/new", seq)))));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        List<HistoryRecord> records = store.readFrom("/t", 1, 1_000);
        assertThat(seqs(records)).containsExactlyElementsOf(range(1, 150));
        assertThat(records.get(119).timestampMillis()).isEqualTo(1_120);
        assertThat(records.get(120).timestampMillis()).isEqualTo(9_121);
        assertThat(records.get(149).body()).isEqualTo(Bodies.of("/new", 150));
    }

    @Test
    void readersRacingTruncationsSeeOneConsistentHistoryAndNeverAHole() throws Exception {
        // Shows: a read that started before a truncation returns either the old or the new history,
        // always gapless from its start, and never fails with "hole" because the tail moved under it.
        reopen();
        appendRange(store, "/t", 1, 50);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    List<HistoryRecord> read = store.readFrom("/t", 1, 10_000);
                    for (int i = 0; i < read.size(); i++) {
                        if (read.get(i).seq() != i + 1) {
                            throw new AssertionError("read " + seqs(read) + " is not 1..n");
                        }
                    }
                    HistoryChunk chunk = store.readChunk("/t", 20, Long.MAX_VALUE, 1_000, 1 << 20);
                    for (int i = 0; i < chunk.records().size(); i++) {
                        if (chunk.records().get(i).seq() != 20 + i) {
                            throw new AssertionError("chunk " + seqs(chunk.records()) + " is not 20..n");
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "racing-reader");
        reader.start();
        try {
            for (int round = 0; round < 500 && failure.get() == null; round++) {
                long last = store.topic("/t").orElseThrow().lastSeq();
                await(store.truncateAfter("/t", 25 + round % 20));
                long kept = store.topic("/t").orElseThrow().lastSeq();
                assertThat(kept).isLessThanOrEqualTo(last);
                appendRange(store, "/t", kept + 1, kept + 30, seq -> 1_000 + seq);
            }
        } finally {
            stop.set(true);
            reader.join(10_000);
        }
        assertThat(failure.get()).isNull();
    }

    @Test
    void transferChunksRecreateTheHistoryAndItsIdempotencyKeysOnAnotherStore() {
        // Shows: appending a replica's transfer chunks in order gives another store the same records
        // and the same idempotency entries (so a retry at the other node is recognised).
        reopen();
        appendRange(store, "/t", 1, 40);
        appendWithKeys("/t", 41, 120, 1_000);
        other = RocksHistoryStore.open(Stores.config(otherDir));

        long next = 1;
        int chunks = 0;
        while (true) {
            TransferChunk chunk = store.readTransferChunk("/t", next, 120, 17, 1 << 20);
            for (AppendRequest append : chunk.appends()) {
                await(other.append(append));
            }
            chunks++;
            next = chunk.nextSeq();
            if (chunk.last()) {
                break;
            }
        }
        assertThat(chunks).isEqualTo(8); // 120 records in chunks of at most 17
        assertThat(other.topic("/t")).isEqualTo(store.topic("/t"));
        List<HistoryRecord> mine = store.readFrom("/t", 1, 1_000);
        List<HistoryRecord> theirs = other.readFrom("/t", 1, 1_000);
        assertThat(theirs).hasSameSizeAs(mine);
        for (int i = 0; i < mine.size(); i++) {
            assertThat(theirs.get(i).seq()).isEqualTo(mine.get(i).seq());
            assertThat(theirs.get(i).timestampMillis()).isEqualTo(mine.get(i).timestampMillis());
            assertThat(theirs.get(i).body()).isEqualTo(mine.get(i).body());
        }
        for (long seq = 41; seq <= 120; seq++) {
            assertThat(other.idempotencyEntry("/t", "key-" + seq).orElseThrow())
                    .isEqualTo(store.idempotencyEntry("/t", "key-" + seq).orElseThrow());
        }
        assertThat(store.readTransferChunk("/t", 30, 45, 100, 1 << 20).appends())
                .extracting(AppendRequest::idempotencyKey)
                .containsExactly(null, null, null, null, null, null, null, null, null, null, null,
                        "key-41", "key-42", "key-43", "key-44", "key-45");
        assertThat(store.readTransferChunk("/nope", 1, 10, 10, 1 << 20).appends()).isEmpty();
    }

    private void appendSized(String topic, long fromSeq, long toSeq, int bodyBytes) {
        for (long seq = fromSeq; seq <= toSeq; seq++) {
            await(store.append(AppendRequest.of(topic, new HistoryRecord(seq, NOW_MILLIS, Bodies.sized(topic, seq, bodyBytes)))));
        }
    }

    private static List<Long> seqs(List<HistoryRecord> records) {
        return records.stream().map(HistoryRecord::seq).toList();
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long seq = from; seq <= to; seq++) {
            out.add(seq);
        }
        return out;
    }
}
