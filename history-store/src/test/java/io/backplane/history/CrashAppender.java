package io.backplane.history;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;

/**
 * The child process of {@link CrashSafetyTest}: opens the store, continues every topic at its
 * lastSeq + 1 and appends forever with many appends in flight, printing for each
 * acknowledged append as "ACK topic seq" (one flushed line each) until it is killed; other lines
 * on stdout (logging) are not part of the protocol. Every tenth append carries an
 * idempotency key. Bodies, timestamps and keys are functions of (topic, seq) so the parent can check
 * them.
 *
 * <p>Arguments: data directory, number of topics.
 */
public final class CrashAppender {
    static final int IN_FLIGHT = 512;

    private CrashAppender() {
    }

    static String topic(int index) {
        return "/crash/" + index;
    }

    static long timestampOf(long seq) {
        return 1_000_000 + seq;
    }

    static String keyOf(long seq) {
        return seq % 10 == 0 ? "key-" + seq : null;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int topics = Integer.parseInt(args[1]);
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        RocksHistoryStore store = RocksHistoryStore.open(HistoryStoreConfig.defaults(dir));
        long[] nextSeq = new long[topics];
        for (int t = 0; t < topics; t++) {
            nextSeq[t] = store.topic(topic(t)).map(info -> info.lastSeq() + 1).orElse(1L);
        }
        out.println("READY");
        out.flush();
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        for (long i = 0; ; i++) {
            int t = (int) (i % topics);
            String topic = topic(t);
            long seq = nextSeq[t]++;
            HistoryRecord record = new HistoryRecord(seq, timestampOf(seq), Bodies.of(topic, seq));
            String key = keyOf(seq);
            AppendRequest request = key == null ? AppendRequest.of(topic, record)
                    : new AppendRequest(topic, record, key, Bodies.ackFor(topic, seq));
            inFlight.acquire();
            store.append(request).whenComplete((ok, error) -> {
                if (error != null) {
                    error.printStackTrace();
                    System.exit(3);
                }
                synchronized (out) {
                    out.println("ACK " + topic + " " + seq);
                    out.flush();
                }
                inFlight.release();
            });
        }
    }
}
