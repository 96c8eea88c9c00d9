package io.backplane.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real appending process with SIGKILL and checks the acknowledgement rule on what it left:
 * every acknowledged append is on disk with its body, timestamp and idempotency entry; histories are
 * gapless; and the next process continues the same topics.
 */
class CrashSafetyTest {
    private static final int TOPICS = 3;
    private static final int ROUNDS = 3;
    private static final long END_OF_STREAM = -1;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedAppendSurvivesSigkillAndHistoriesStayGapless() throws Exception {
        // Shows: three rounds of (child appends with thousands acknowledged -> SIGKILL mid-stream ->
        // parent reopens and checks) on one directory; in round one the parent also shows that the
        // directory cannot be opened while the child holds it.
        Path data = dir.resolve("data");
        Map<String, Long> ackedThrough = new HashMap<>();
        for (int round = 1; round <= ROUNDS; round++) {
            Process child = start(data, round);
            try {
                BlockingQueue<String> lines = pump(child);
                assertThat(nextLine(lines, child)).isEqualTo("READY");
                if (round == 1) {
                    assertThatThrownBy(() -> RocksHistoryStore.open(Stores.config(data)))
                            .isInstanceOf(HistoryStoreException.class)
                            .hasMessage("data directory " + data + " is in use by another process");
                }
                int acks = 0;
                Set<String> ackedThisRound = new HashSet<>();
                int killAfter = 2_000 + 1_000 * round;
                while (acks < killAfter) {
                    String[] ack = nextLine(lines, child).split(" ");
                    long seq = Long.parseLong(ack[2]);
                    Long previous = ackedThrough.put(ack[1], seq);
                    if (ackedThisRound.add(ack[1])) {
                        // The child continues at lastSeq + 1, past what survived unacknowledged.
                        assertThat(seq).as("%s continues", ack[1]).isGreaterThan(previous == null ? 0 : previous);
                    } else {
                        assertThat(seq).as("acks of %s arrive in seq order", ack[1]).isEqualTo(previous + 1);
                    }
                    acks++;
                }
            } finally {
                child.destroyForcibly();
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child killed").isTrue();
            }
            checkStore(data, ackedThrough, round);
        }
    }

    private void checkStore(Path data, Map<String, Long> ackedThrough, int round) {
        try (RocksHistoryStore store = RocksHistoryStore.open(Stores.config(data))) {
            for (int t = 0; t < TOPICS; t++) {
                String topic = CrashAppender.topic(t);
                long acked = ackedThrough.getOrDefault(topic, 0L);
                TopicInfo info = store.topic(topic).orElseThrow();
                System.out.printf("round %d: %s acknowledged through %d, reopened with lastSeq %d%n",
                        round, topic, acked, info.lastSeq());
                assertThat(info.firstSeq()).isEqualTo(1);
                assertThat(info.lastSeq()).as("round %s: %s lastSeq covers every ack", round, topic).isGreaterThanOrEqualTo(acked);
                List<HistoryRecord> records = store.readFrom(topic, 1, Integer.MAX_VALUE);
                assertThat(records).hasSize((int) info.count());
                for (int i = 0; i < records.size(); i++) {
                    HistoryRecord record = records.get(i);
                    assertThat(record.seq()).as("gapless").isEqualTo(i + 1);
                    assertThat(record.timestampMillis()).isEqualTo(CrashAppender.timestampOf(record.seq()));
                    assertThat(record.body()).as("%s seq %s body", topic, record.seq()).isEqualTo(Bodies.of(topic, record.seq()));
                    String key = CrashAppender.keyOf(record.seq());
                    if (key != null) {
                        assertThat(store.idempotencyEntry(topic, key)).as("%s key %s", topic, key)
                                .hasValueSatisfying(v -> assertThat(v).isEqualTo(Bodies.ackFor(topic, record.seq())));
                    }
                }
            }
        }
    }

    private Process start(Path data, int round) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path stderr = dir.resolve("child-" + round + ".err");
        return new ProcessBuilder(java.toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                CrashAppender.class.getName(), data.toString(), Integer.toString(TOPICS))
                .redirectError(stderr.toFile())
                .start();
    }

    /** Reads the child's stdout on its own thread, so the test can wait for a line with a deadline. */
    private static BlockingQueue<String> pump(Process child) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child was killed mid-line; the parent stops reading anyway
            } finally {
                lines.add(Long.toString(END_OF_STREAM));
            }
        }, "crash-child-stdout");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    /** The child's next protocol line (READY or ACK), skipping its log lines. */
    private String nextLine(BlockingQueue<String> lines, Process child) throws InterruptedException, IOException {
        String line = lines.poll(60, TimeUnit.SECONDS);
        while (line != null && !line.equals("READY") && !line.startsWith("ACK ") && !line.equals(Long.toString(END_OF_STREAM))) {
            line = lines.poll(60, TimeUnit.SECONDS);
        }
        if (line == null || line.equals(Long.toString(END_OF_STREAM))) {
            StringBuilder err = new StringBuilder();
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".err")).toList()) {
                    err.append(Files.readString(f));
                }
            }
            throw new AssertionError((line == null ? "no line from the child within 60 s" : "child exited early, code "
                    + (child.isAlive() ? "?" : child.exitValue())) + "; stderr:\n" + err);
        }
        return line;
    }
}
