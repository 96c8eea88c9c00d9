package io.backplane.history;

import static io.backplane.history.AppendAndReadTest.assertRecord;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentAppendTest {
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
    void appendsFromManyThreadsToManyTopicsAllCompleteInSeqOrderPerTopic() throws Exception {
        // Shows: with four threads each appending without waiting to its own 50 topics, every append
        // completes, each topic's futures complete in seq order on the writer thread, and each
        // history is gapless from 1 with the bodies appended; readers running meanwhile only ever see
        // gapless prefixes.
        store = RocksHistoryStore.open(Stores.config(dir).withBatchLimits(256, 1 << 20));
        int threads = 4;
        int topicsPerThread = 50;
        long perTopic = 60;
        Map<String, List<Long>> completionOrder = new ConcurrentHashMap<>();
        List<String> completingThreads = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<List<CompletableFuture<Void>>>> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                appenders.add(pool.submit(() -> {
                    List<CompletableFuture<Void>> futures = new ArrayList<>();
                    for (long seq = 1; seq <= perTopic; seq++) {
                        for (int i = 0; i < topicsPerThread; i++) {
                            String topic = "/c/" + thread + "/" + i;
                            long s = seq;
                            List<Long> order = completionOrder.computeIfAbsent(topic, k -> new CopyOnWriteArrayList<>());
                            futures.add(store.append(AppendRequest.of(topic, Stores.record(topic, seq, seq)))
                                    .whenComplete((ok, error) -> {
                                        if (error == null) {
                                            order.add(s);
                                            completingThreads.add(Thread.currentThread().getName());
                                        }
                                    }));
                        }
                    }
                    return futures;
                }));
            }
            Future<?> reader = pool.submit(() -> {
                while (!appenders.stream().allMatch(Future::isDone)) {
                    for (TopicInfo info : store.topics("/c/")) {
                        List<HistoryRecord> read = store.readFrom(info.topic(), 1, 1_000);
                        assertThat(read.size()).isGreaterThanOrEqualTo((int) info.count());
                        for (int i = 0; i < read.size(); i++) {
                            assertThat(read.get(i).seq()).isEqualTo(i + 1);
                        }
                    }
                }
            });
            for (Future<List<CompletableFuture<Void>>> appender : appenders) {
                Stores.await(CompletableFuture.allOf(appender.get(60, TimeUnit.SECONDS).toArray(CompletableFuture[]::new)));
            }
            reader.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }

        assertThat(completionOrder).hasSize(threads * topicsPerThread);
        Long[] expected = LongStream.rangeClosed(1, perTopic).boxed().toArray(Long[]::new);
        for (Map.Entry<String, List<Long>> entry : completionOrder.entrySet()) {
            assertThat(entry.getValue()).as(entry.getKey()).containsExactly(expected);
            assertThat(store.topic(entry.getKey())).contains(new TopicInfo(entry.getKey(), 1, perTopic, perTopic));
            store.readFrom(entry.getKey(), 1, 1_000).forEach(r -> assertRecord(r, entry.getKey(), r.seq(), r.seq()));
        }
        // A callback registered after its future completed runs on the registering thread; all others
        // run on the writer, and with thousands in flight most must.
        assertThat(completingThreads).filteredOn("history-writer"::equals).hasSizeGreaterThan(completingThreads.size() / 2);
    }
}
