package io.backplane.history.bench;

import io.backplane.history.AppendRequest;
import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStoreConfig;
import io.backplane.history.RocksHistoryStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Durable appends: four producer threads, each keeping {@link #IN_FLIGHT_PER_PRODUCER} appends in
 * flight (a permit is taken per append and given back when its future completes, i.e. after the
 * WAL fsync), spread round-robin over the producer's share of {@code topics}. One operation is one
 * append issued; with the in-flight bound, issue rate equals acknowledged rate to within the few
 * thousand outstanding at the end of an iteration.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AppendBenchmark {
    static final int PRODUCERS = 4;
    static final int IN_FLIGHT_PER_PRODUCER = 4_096;

    @Param({"4", "10000"})
    public int topics;

    @Param({"128"})
    public int bodyBytes;

    RocksHistoryStore store;
    Path dir;
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("append-bench");
        store = RocksHistoryStore.open(HistoryStoreConfig.defaults(dir));
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        store.close();
        deleteRecursively(dir);
    }

    /** One producer: its own topics (so it alone sequences them), its own in-flight permits. */
    @State(Scope.Thread)
    public static class Producer {
        String[] topicNames;
        long[] nextSeq;
        int cursor;
        byte[] body;
        final Semaphore inFlight = new Semaphore(IN_FLIGHT_PER_PRODUCER);

        @Setup(Level.Trial)
        public void setup(AppendBenchmark bench, ThreadParams thread) {
            int producers = thread.getThreadCount();
            int mine = (bench.topics + producers - 1 - thread.getThreadIndex()) / producers;
            topicNames = new String[mine];
            for (int i = 0; i < mine; i++) {
                topicNames[i] = "/bench/append/" + (thread.getThreadIndex() + i * producers);
            }
            nextSeq = new long[mine];
            java.util.Arrays.fill(nextSeq, 1);
            body = new byte[bench.bodyBytes];
            new java.util.Random(thread.getThreadIndex()).nextBytes(body);
        }

        /** Waits for this producer's outstanding appends, so the trial ends with everything durable. */
        @TearDown(Level.Trial)
        public void drain() throws InterruptedException {
            if (!inFlight.tryAcquire(IN_FLIGHT_PER_PRODUCER, 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("appends still outstanding after 60 s");
            }
        }
    }

    @Benchmark
    @Threads(PRODUCERS)
    public void append(Producer producer) throws InterruptedException {
        Throwable failed = failure.get();
        if (failed != null) {
            throw new IllegalStateException("an append failed", failed);
        }
        int i = producer.cursor;
        producer.cursor = i + 1 == producer.topicNames.length ? 0 : i + 1;
        HistoryRecord record = new HistoryRecord(producer.nextSeq[i]++, System.currentTimeMillis(), producer.body);
        producer.inFlight.acquire();
        store.append(AppendRequest.of(producer.topicNames[i], record)).whenComplete((ok, error) -> {
            if (error != null) {
                failure.compareAndSet(null, error);
            }
            producer.inFlight.release();
        });
    }

    static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
