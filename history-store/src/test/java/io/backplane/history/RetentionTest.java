package io.backplane.history;

import static io.backplane.history.AppendAndReadTest.seqs;
import static io.backplane.history.Stores.appendRange;
import static io.backplane.history.Stores.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionTest {
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

    private void open(RetentionRule... rules) {
        store = RocksHistoryStore.open(Stores.config(dir).withRetention(List.of(rules)).withClockMillis(clock));
    }

    private void appendSized(String topic, long fromSeq, long toSeq, int bodyBytes) {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long seq = fromSeq; seq <= toSeq; seq++) {
            futures.add(store.append(AppendRequest.of(topic, new HistoryRecord(seq, NOW_MILLIS, Bodies.sized(topic, seq, bodyBytes)))));
        }
        await(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)));
    }

    @Test
    void aCountRuleKeepsTheNewestMaxCountRecordsAndReadsStartAtTheFirstRetained() {
        // Shows: count retention trims the oldest records; readFrom(1), readLast and readChunk then
        // start at the first retained seq, and seqAtTime never points below it.
        open(new RetentionRule("/", 10, 0, 0));
        appendRange(store, "/t", 1, 25);
        store.applyRetention();

        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 16, 25, 10));
        assertThat(store.readFrom("/t", 1, 100)).extracting(HistoryRecord::seq).containsExactly(seqs(16, 25));
        assertThat(store.readLast("/t", 100)).extracting(HistoryRecord::seq).containsExactly(seqs(16, 25));
        assertThat(store.readChunk("/t", 1, 25, 3, 1 << 20).records()).extracting(HistoryRecord::seq)
                .containsExactly(16L, 17L, 18L);
        assertThat(store.seqAtTime("/t", 0)).isEqualTo(16);

        appendRange(store, "/t", 26, 26);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 17, 26, 10));
    }

    @Test
    void anAgeRuleTrimsRecordsOlderThanMaxAgeAndMayEmptyATopicWithoutForgettingItsLastSeq() {
        // Shows: age retention uses the record timestamps against the injected clock; when it trims
        // everything the topic stays listed with count 0 and the next append must still be lastSeq + 1.
        open(new RetentionRule("/", 0, 1_000, 0));
        appendRange(store, "/t", 1, 10, seq -> NOW_MILLIS - 2_000 + seq * 200);
        store.applyRetention();
        // seq s is (2000 - 200 s) ms old: s <= 4 is older than 1000 ms; s = 5 is exactly 1000 ms old and stays.
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 5, 10, 6));

        clock.advance(5_000);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 11, 10, 0));
        assertThat(store.topics("/")).extracting(TopicInfo::topic).containsExactly("/t");
        assertThat(store.readFrom("/t", 1, 10)).isEmpty();
        assertThat(store.readLast("/t", 10)).isEmpty();
        assertThat(store.seqAtTime("/t", 0)).isEqualTo(11);
        assertThat(store.readChunk("/t", 1, 100, 10, 1_000)).isEqualTo(new HistoryChunk("/t", List.of(), 11, true));

        CompletableFuture<Void> reused = store.append(AppendRequest.of("/t", Stores.record("/t", 1, clock.getAsLong())));
        assertThatThrownBy(() -> await(reused)).isInstanceOf(IllegalStateException.class);
        appendRange(store, "/t", 11, 11, seq -> clock.getAsLong());
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 11, 11, 1));
    }

    @Test
    void aBytesRuleKeepsTheNewestRecordsWhoseBodiesFitInMaxBytes() {
        // Shows: byte retention counts body bytes and keeps the longest newest run that fits.
        open(new RetentionRule("/", 0, 0, 1_000));
        appendSized("/hundred", 1, 25, 100);
        appendSized("/odd", 1, 25, 150);
        store.applyRetention();

        assertThat(store.topic("/hundred")).contains(new TopicInfo("/hundred", 16, 25, 10));
        assertThat(store.topic("/odd")).contains(new TopicInfo("/odd", 20, 25, 6));
        appendSized("/odd", 26, 26, 400);
        store.applyRetention();
        // 400 + 150 * 4 = 1000 fits exactly; a fifth 150 would not.
        assertThat(store.topic("/odd")).contains(new TopicInfo("/odd", 22, 26, 5));
    }

    @Test
    void theRuleWithTheLongestMatchingPrefixWinsAndUnmatchedTopicsKeepEverything() {
        // Shows: only the most specific rule applies (a rule of all zeros means "keep everything"
        // even under a stricter shorter prefix), and a topic no rule matches is never trimmed.
        open(new RetentionRule("/news/", 5, 0, 0),
                new RetentionRule("/quotes/", 2, 0, 0),
                new RetentionRule("/quotes/ibm", 0, 0, 0));
        for (String topic : List.of("/news/x", "/quotes/msft", "/quotes/ibm", "/quotes/ibmx", "/weather/geneva")) {
            appendRange(store, topic, 1, 10);
        }
        store.applyRetention();

        assertThat(store.topic("/news/x").orElseThrow().count()).isEqualTo(5);
        assertThat(store.topic("/quotes/msft").orElseThrow().count()).isEqualTo(2);
        assertThat(store.topic("/quotes/ibm").orElseThrow().count()).isEqualTo(10);
        assertThat(store.topic("/quotes/ibmx").orElseThrow().count()).isEqualTo(10);
        assertThat(store.topic("/weather/geneva").orElseThrow().count()).isEqualTo(10);
    }

    @Test
    void limitsCombineSoTheStrictestOneDecides() {
        // Shows: one rule with count, age and bytes trims whatever any of the three requires.
        open(new RetentionRule("/", 8, 1_000, 500));
        for (long seq = 1; seq <= 10; seq++) {
            long timestamp = seq <= 3 ? NOW_MILLIS - 5_000 : NOW_MILLIS;
            await(store.append(AppendRequest.of("/t", new HistoryRecord(seq, timestamp, Bodies.sized("/t", seq, 100)))));
        }
        store.applyRetention();
        // count allows 3..10, age 4..10, bytes 6..10.
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 6, 10, 5));
    }

    @Test
    void retentionRunningBesideAppendsAndReadsKeepsEveryHistoryGaplessAndBounded() throws Exception {
        // Shows: trims and appends interleave freely (retention does not wait for the writer or stop it):
        // while four threads append and retention runs in a loop, every read is a gapless run ending
        // no earlier than the last acknowledged seq, and at the end each topic holds exactly its last 100.
        open(new RetentionRule("/", 100, 0, 0));
        int threads = 4;
        int topicsPerThread = 5;
        long perTopic = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<?>> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                appenders.add(pool.submit(() -> {
                    for (long seq = 1; seq <= perTopic; seq += 100) {
                        for (int i = 0; i < topicsPerThread; i++) {
                            appendRange(store, "/t" + thread + "-" + i, seq, seq + 99);
                        }
                    }
                }));
            }
            Future<?> reader = pool.submit(() -> {
                while (!appenders.stream().allMatch(Future::isDone)) {
                    for (TopicInfo info : store.topics("/")) {
                        List<HistoryRecord> read = store.readFrom(info.topic(), 1, 10_000);
                        for (int i = 1; i < read.size(); i++) {
                            assertThat(read.get(i).seq()).isEqualTo(read.get(i - 1).seq() + 1);
                        }
                        if (!read.isEmpty()) {
                            assertThat(read.get(read.size() - 1).seq()).isGreaterThanOrEqualTo(info.lastSeq());
                        }
                    }
                }
            });
            while (!appenders.stream().allMatch(Future::isDone)) {
                store.applyRetention();
            }
            for (Future<?> appender : appenders) {
                appender.get(60, TimeUnit.SECONDS);
            }
            reader.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        store.applyRetention();
        List<TopicInfo> topics = store.topics("/");
        assertThat(topics).hasSize(threads * topicsPerThread);
        for (TopicInfo info : topics) {
            assertThat(info).isEqualTo(new TopicInfo(info.topic(), perTopic - 99, perTopic, 100));
            assertThat(store.readFrom(info.topic(), 1, 1_000)).extracting(HistoryRecord::seq)
                    .containsExactly(seqs(perTopic - 99, perTopic));
        }
    }

    @Test
    void backgroundRetentionTrimsWithoutBeingAsked() throws InterruptedException {
        // Shows: the periodic task runs on its own at retentionIntervalMillis (waits on the condition
        // with a deadline, never a fixed sleep).
        store = RocksHistoryStore.open(Stores.config(dir).withRetention(List.of(new RetentionRule("/", 5, 0, 0)))
                .withRetentionIntervalMillis(20));
        appendRange(store, "/t", 1, 20);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (store.topic("/t").orElseThrow().count() != 5 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 16, 20, 5));
    }
}
