package io.backplane.history.bench;

import io.backplane.history.AppendRequest;
import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStoreConfig;
import io.backplane.history.RocksHistoryStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Range reads of 128-byte messages: each operation reads a page of {@link #PAGE} consecutive records
 * from a random topic at a random start (a REST page, or a replay chunk); the score is records per
 * second. About two million records are appended once per trial: one topic of 2,000,000 or 10,000
 * topics of 200 each. The store is reopened after filling, so reads start from a cold block cache
 * and data flushed to SST files, as after a restart (the warmup iterations then warm it).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ReadBenchmark {
    static final int PAGE = 100;
    static final long TOTAL_RECORDS = 2_000_000;

    @Param({"1", "10000"})
    public int topics;

    RocksHistoryStore store;
    Path dir;
    long recordsPerTopic;

    @Setup(Level.Trial)
    public void fill() throws Exception {
        dir = Files.createTempDirectory("read-bench");
        recordsPerTopic = TOTAL_RECORDS / topics;
        byte[] body = new byte[128];
        new SplittableRandom(1).nextBytes(body);
        try (RocksHistoryStore writer = RocksHistoryStore.open(HistoryStoreConfig.defaults(dir))) {
            Semaphore inFlight = new Semaphore(16_384);
            CompletableFuture<?> last = null;
            for (long seq = 1; seq <= recordsPerTopic; seq++) {
                for (int t = 0; t < topics; t++) {
                    inFlight.acquire();
                    last = writer.append(AppendRequest.of(topic(t), new HistoryRecord(seq, seq, body)))
                            .whenComplete((ok, error) -> inFlight.release());
                }
            }
            last.get(60, TimeUnit.SECONDS);
        }
        store = RocksHistoryStore.open(HistoryStoreConfig.defaults(dir));
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        store.close();
        AppendBenchmark.deleteRecursively(dir);
    }

    static String topic(int index) {
        return "/bench/read/" + index;
    }

    @State(Scope.Thread)
    public static class Cursor {
        final SplittableRandom random = new SplittableRandom(42);
    }

    @Benchmark
    @OperationsPerInvocation(PAGE)
    public void readFrom(Cursor cursor, Blackhole blackhole) {
        String topic = topic(cursor.random.nextInt(topics));
        long from = 1 + cursor.random.nextLong(recordsPerTopic - PAGE + 1);
        List<HistoryRecord> page = store.readFrom(topic, from, PAGE);
        if (page.size() != PAGE) {
            throw new IllegalStateException("read " + page.size() + " records from " + topic + " at " + from);
        }
        blackhole.consume(page);
    }
}
