package io.backplane.node.wan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.support.NodeProcess;
import io.backplane.node.support.TestNode;
import io.backplane.wan.proxy.FaultProxy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A torn spool tail: GENEVA (a real process) spools posts for NY while its link is cut and is killed
 * with SIGKILL mid-stream; then the tail of its newest write-ahead log is torn — bytes of a write that
 * began after the last fsync and never finished. GENEVA must start again, keep every post it answered
 * 202 (those were fsynced before the answer), recognise retried keys, and deliver each spooled post to
 * NY exactly once, in spool order, once the link heals.
 */
class TornSpoolTailTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    private HttpResponse<String> post(String base, String key, int i) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/topics/T/X@NY"))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\",\"i\":" + i + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTornWriteAheadLogTailLosesNoSpooledPostAndDuplicatesNone() throws Exception {
        TestNode ny = TestNode.start("--lan", "NY", "--wan-port", "0");
        try (ny; FaultProxy proxy = FaultProxy.to("127.0.0.1", ny.wanPort())) {
            proxy.cut();
            Path data = tmp.resolve("geneva");
            String[] flags = {"--lan", "GENEVA", "--wan-port", "0", "--wan-peer", "NY=127.0.0.1:" + proxy.port()};
            Map<String, String> acked = new ConcurrentHashMap<>(); // key → id of its 202
            List<String> attempted = Collections.synchronizedList(new ArrayList<>());
            try (NodeProcess geneva = NodeProcess.startReady(data, flags)) {
                AtomicBoolean killed = new AtomicBoolean();
                CountDownLatch enough = new CountDownLatch(200);
                List<Thread> publishers = new ArrayList<>();
                for (int p = 0; p < 3; p++) {
                    int publisher = p;
                    Thread t = new Thread(() -> {
                        for (int i = 0; !killed.get(); i++) {
                            String key = "p" + publisher + "-" + i;
                            attempted.add(key);
                            try {
                                HttpResponse<String> r = post(geneva.baseUrl(), key, i);
                                if (r.statusCode() == 202) {
                                    acked.put(key, JSON.readTree(r.body()).path("id").asText());
                                    enough.countDown();
                                }
                            } catch (Exception e) {
                                return; // killed under us: this key's outcome is unknown
                            }
                        }
                    });
                    t.start();
                    publishers.add(t);
                }
                assertThat(enough.await(60, TimeUnit.SECONDS)).as("posts were spooled before the kill").isTrue();
                geneva.kill9();
                killed.set(true);
                for (Thread t : publishers) {
                    t.join(30_000);
                }
            }

            Path wal = newestWriteAheadLog(data);
            long before = Files.size(wal);
            byte[] torn = new byte[777];
            new Random(7).nextBytes(torn); // a record that began but never finished: no valid checksum
            Files.write(wal, torn, StandardOpenOption.APPEND);

            try (NodeProcess geneva = NodeProcess.startReady(data, flags)) {
                // Retrying every key: a 202'd one answers 200 with its first id; an unanswered one is
                // spooled now if the crash lost it, or answered 200 if it made it — never twice.
                for (String key : new ArrayList<>(attempted)) {
                    HttpResponse<String> r = post(geneva.baseUrl(), key, -1);
                    assertThat(r.statusCode()).as("retry of %s: %s", key, r.body()).isIn(200, 202);
                    String id = JSON.readTree(r.body()).path("id").asText();
                    if (acked.containsKey(key)) {
                        assertThat(r.statusCode()).as("retry of acknowledged " + key).isEqualTo(200);
                        assertThat(id).isEqualTo(acked.get(key));
                    }
                    acked.putIfAbsent(key, id);
                }
                proxy.heal();
                await().atMost(Duration.ofSeconds(60)).until(() -> history(ny).size() >= attempted.size());
                List<JsonNode> delivered = history(ny);
                assertThat(delivered).as("every key exactly once at NY").hasSize(attempted.size());
                List<String> keys = delivered.stream().map(m -> m.path("payload").path("key").asText()).toList();
                assertThat(keys).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(attempted);
                for (JsonNode m : delivered) {
                    assertThat(m.path("id").asText()).isEqualTo(acked.get(m.path("payload").path("key").asText()));
                }
                assertThat(geneva.terminate()).isZero();
            }
            assertThat(before).as("the killed node had written its log").isPositive();
        }
    }

    private List<JsonNode> history(TestNode ny) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        long from = 1;
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ny.baseUrl()
                    + "/api/v1/topics/T/X/messages?fromSeq=" + from + "&limit=1000")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 404) {
                return out;
            }
            JsonNode page = JSON.readTree(r.body());
            page.path("messages").forEach(out::add);
            if (page.path("messages").isEmpty()) {
                return out;
            }
            from = page.path("nextSeq").asLong();
        }
    }

    /** RocksDB's write-ahead logs are NNNNNN.log; the highest number is the one being written. */
    private static Path newestWriteAheadLog(Path data) throws IOException {
        try (Stream<Path> files = Files.walk(data)) {
            return files.filter(f -> f.getFileName().toString().matches("\\d+\\.log"))
                    .max(java.util.Comparator.comparing(f -> Long.parseLong(f.getFileName().toString().replace(".log", ""))))
                    .orElseThrow(() -> new AssertionError("no write-ahead log under " + data));
        }
    }
}
