package io.backplane.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.support.NodeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability (CONTRACT.md §4, §6.4) with a real process: publishers post with idempotency keys while
 * the node is killed with SIGKILL; after a restart from the same data directory every 201'd post is
 * there with the same seq and id, the history is gapless, and retrying any key — acknowledged or
 * left without an answer by the crash — is applied at most once.
 */
class CrashRecoveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "/CRASH/QUOTES/IBM";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    record Ack(long seq, String id) {
    }

    @Test
    void everyAcknowledgedPostSurvivesKillDashNineWithItsSeqAndId() throws Exception {
        Path data = tmp.resolve("data");
        Map<String, Ack> acked = new ConcurrentHashMap<>();
        List<String> attempted = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int round = 0; round < 3; round++) {
            try (NodeProcess node = NodeProcess.startReady(data)) {
                postUntilKilled(node, round, acked, attempted);
            }
        }
        try (NodeProcess node = NodeProcess.startReady(data)) {
            String base = node.baseUrl();
            List<JsonNode> history = readAll(base);
            for (int i = 0; i < history.size(); i++) {
                assertThat(history.get(i).path("seq").asLong()).as("gapless history").isEqualTo(i + 1);
            }
            Map<Long, String> idBySeq = new java.util.HashMap<>();
            for (JsonNode m : history) {
                idBySeq.put(m.path("seq").asLong(), m.path("id").asText());
            }
            assertThat(acked).as("the test acknowledged something each round").hasSizeGreaterThan(300);
            for (Map.Entry<String, Ack> e : acked.entrySet()) {
                assertThat(idBySeq.get(e.getValue().seq())).as("acked " + e.getKey() + " at its seq with its id")
                        .isEqualTo(e.getValue().id());
            }
            // One id never has two seqs, one key was applied at most once.
            assertThat(new java.util.HashSet<>(idBySeq.values())).hasSize(idBySeq.size());
            java.util.Set<String> keysInHistory = new java.util.HashSet<>();
            for (JsonNode m : history) {
                assertThat(keysInHistory.add(m.path("payload").path("key").asText())).as("key applied once").isTrue();
            }
            // Retrying every attempted key after the restart: acknowledged ones answer 200 with the first
            // envelope; unanswered ones are applied now if the crash lost them, never twice.
            for (String key : new ArrayList<>(attempted)) {
                HttpResponse<String> r = post(base, key);
                Ack ack = acked.get(key);
                if (ack != null || keysInHistory.contains(key)) {
                    assertThat(r.statusCode()).as("retry of " + key).isEqualTo(200);
                    JsonNode env = JSON.readTree(r.body());
                    if (ack != null) {
                        assertThat(env.path("seq").asLong()).isEqualTo(ack.seq());
                        assertThat(env.path("id").asText()).isEqualTo(ack.id());
                    }
                } else {
                    assertThat(r.statusCode()).as("first application of " + key).isEqualTo(201);
                }
            }
            assertThat(readAll(base)).hasSize(attempted.size());
            assertThat(node.terminate()).isZero();
        }
    }

    private void postUntilKilled(NodeProcess node, int round, Map<String, Ack> acked, List<String> attempted) throws Exception {
        String base = node.baseUrl();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger ackedThisRound = new AtomicInteger();
        CountDownLatch enough = new CountDownLatch(1);
        List<Thread> publishers = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            int publisher = p;
            Thread t = new Thread(() -> {
                for (int i = 0; !killed.get(); i++) {
                    String key = "r" + round + "-p" + publisher + "-" + i;
                    attempted.add(key);
                    try {
                        HttpResponse<String> r = post(base, key);
                        if (r.statusCode() == 201) {
                            JsonNode env = JSON.readTree(r.body());
                            acked.put(key, new Ack(env.path("seq").asLong(), env.path("id").asText()));
                            if (ackedThisRound.incrementAndGet() >= 150 + round * 300) {
                                enough.countDown();
                            }
                        }
                    } catch (Exception e) {
                        return; // the node died under us: this key's outcome is unknown
                    }
                }
            }, "publisher-" + p);
            t.start();
            publishers.add(t);
        }
        assertThat(enough.await(60, TimeUnit.SECONDS)).as("posts were acknowledged before the kill").isTrue();
        node.kill9();
        killed.set(true);
        for (Thread t : publishers) {
            t.join(30_000);
        }
    }

    private HttpResponse<String> post(String base, String key) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/api/v1/topics" + TOPIC))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\",\"pad\":\"" + "x".repeat(100) + "\"}"))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> readAll(String base) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        long from = 1;
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/topics" + TOPIC
                    + "/messages?fromSeq=" + from + "&limit=10000")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode page = JSON.readTree(r.body());
            page.path("messages").forEach(all::add);
            if (page.path("messages").isEmpty()) {
                return all;
            }
            from = page.path("nextSeq").asLong();
        }
    }
}
