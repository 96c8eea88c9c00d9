package io.backplane.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.BackplaneNode;
import io.backplane.node.config.NodeCommand;
import io.backplane.node.config.NodeConfig;
import io.backplane.node.support.TestNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Three clustered nodes in one JVM on loopback: one view, the same history on every node, retries
 * recognised at another node, and a restarted node catching up exactly the suffix it missed (also
 * when the donors' retention already trimmed part of it).
 * (Killing real processes is the system-tests module's job; this checks the replication logic.)
 */
class ThreeNodeClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Path> dirs = new ArrayList<>();
    private final BackplaneNode[] nodes = new BackplaneNode[3];
    private final int[] clusterPorts = new int[3];
    private String seeds;
    /** Flags every node starts with besides its own (a config file, say). */
    private List<String> commonArgs = List.of();

    @AfterEach
    void stop() {
        for (BackplaneNode n : nodes) {
            if (n != null) {
                n.close();
            }
        }
        dirs.forEach(TestNode::deleteRecursively);
    }

    @Test
    void postsAreSequencedAndStoredAlikeOnEveryNodeAndARestartedNodeCatchesUp() throws Exception {
        startAll();
        JsonNode cluster = get(0, "/api/v1/cluster");
        assertThat(cluster.at("/view/members")).hasSize(3);
        for (int i = 1; i < 3; i++) {
            assertThat(get(i, "/api/v1/cluster").at("/view/id")).isEqualTo(cluster.at("/view/id"));
        }

        Map<String, String> idsByKey = new LinkedHashMap<>();
        for (int k = 0; k < 90; k++) {
            JsonNode ack = post(k % 3, "/T/" + (k % 2), "{\"k\":" + k + "}", "key-" + k, 201);
            idsByKey.put("key-" + k, ack.get("id").asText());
        }
        // a retry at another node is recognised and answers with the first post's envelope
        JsonNode retry = post(2, "/T/0", "{\"k\":0}", "key-0", 200);
        assertThat(retry.get("id").asText()).isEqualTo(idsByKey.get("key-0"));
        assertThat(retry.get("seq").asLong()).isEqualTo(1);

        Map<Long, String> t0 = history(0, "/T/0");
        assertThat(t0).hasSize(45);
        assertThat(t0.keySet()).containsExactlyElementsOf(seqs(1, 45));
        for (int i = 1; i < 3; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> history(node, "/T/0").equals(t0));
            assertThat(history(node, "/T/1")).isEqualTo(history(0, "/T/1"));
        }

        // concurrent posts at all three nodes: every acknowledged post becomes visible on every node
        // (a node may store a message after the others' marks already committed it)
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int k = 0; k < 600; k++) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base(k % 3) + "/api/v1/topics/T/load"))
                    .header("Content-Type", "application/json").header("Idempotency-Key", "load-" + k)
                    .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString("{\"k\":" + k + "}")).build();
            inFlight.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
            if (inFlight.size() % 100 == 0) {
                inFlight.get(inFlight.size() - 1).join(); // bounded concurrency: about 100 at a time
            }
        }
        for (int k = 0; k < inFlight.size(); k++) {
            if (inFlight.get(k).get().statusCode() != 201) {
                // refused for a view change (503) or the load (429): retried with its key, as a client
                // would; 200 then means the first attempt did commit
                JsonNode again = postUntilAnswered(k % 3, "/T/load", "{\"k\":" + k + "}", "load-" + k);
                assertThat(again.get("seq").asLong()).isPositive();
            }
        }
        for (int i = 0; i < 3; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> history(node, "/T/load").size() == 600);
        }
        assertThat(history(1, "/T/load")).isEqualTo(history(0, "/T/load"));
        assertThat(history(2, "/T/load")).isEqualTo(history(0, "/T/load"));

        // node 3 goes away; the two others go on (a majority of three)
        nodes[2].close();
        nodes[2] = null;
        for (int k = 90; k < 150; k++) {
            post(k % 2, "/T/" + (k % 2), "{\"k\":" + k + "}", "key-" + k, 201);
        }
        nodes[2] = start(2);
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> nodes[2].isReady());
        Map<Long, String> after = history(0, "/T/0");
        assertThat(after).hasSize(75);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> history(2, "/T/0").equals(after));
        assertThat(history(2, "/T/1")).isEqualTo(history(0, "/T/1"));
        // and it takes posts again, sequenced after what it caught up with
        JsonNode fresh = post(2, "/T/0", "{\"k\":\"fresh\"}", "key-fresh", 201);
        assertThat(fresh.get("seq").asLong()).isEqualTo(76);
    }

    @Test
    void aRestartedNodeWhoseMissingRecordsTheDonorsTrimmedSkipsToWhatTheyHold() throws Exception {
        // Shows: node 3 holds /R/x 1..5, misses 6..45 while down, and the others' retention (10 records)
        // keeps only 36..45. It cannot check or continue its 1..5, so it drops them, skips to 36 and
        // takes 36..45: the same history as the others, and it sequences the next post as 46.
        Path config = Files.createTempFile("bp-cluster-retention-", ".yaml");
        Files.writeString(config, "retention:\n  - prefix: /R\n    max-count: 10\n");
        commonArgs = List.of("--config", config.toString());
        try {
            startAll();
            for (int k = 1; k <= 5; k++) {
                post(k % 3, "/R/x", "{\"k\":" + k + "}", "r-" + k, 201);
            }
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> history(2, "/R/x").size() == 5);
            nodes[2].close();
            nodes[2] = null;
            for (int k = 6; k <= 45; k++) {
                post(k % 2, "/R/x", "{\"k\":" + k + "}", "r-" + k, 201);
            }
            for (int i = 0; i < 2; i++) {
                int node = i; // retention runs every 5 s
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> history(node, "/R/x").keySet().equals(Set.copyOf(seqs(36, 45))));
            }
            Map<Long, String> held = history(0, "/R/x");
            nodes[2] = start(2);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> nodes[2].isReady());
            assertThat(history(2, "/R/x")).isEqualTo(held);
            assertThat(post(2, "/R/x", "{\"k\":46}", "r-46", 201).get("seq").asLong()).isEqualTo(46);
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> history(2, "/R/x").equals(history(0, "/R/x")));
        } finally {
            Files.deleteIfExists(config);
        }
    }

    /**
     * CONTRACT.md §6.2 across nodes: a client on n1 that received message X_k of one topic posts Y_k
     * on another topic over the same websocket; a subscriber of both topics on n3 must get X_k before
     * Y_k, every round (X_k itself was posted at n2).
     */
    @Test
    void aPostMadeAfterReceivingAMessageIsDeliveredAfterItEverywhere() throws Exception {
        startAll();
        try (io.backplane.node.support.WsTestClient observer = io.backplane.node.support.WsTestClient.connect(base(2));
             io.backplane.node.support.WsTestClient reactor = io.backplane.node.support.WsTestClient.connect(base(0))) {
            observer.send("op", "subscribe", "id", "o", "topic", "/C/*");
            assertThat(observer.next().get("type").asText()).isEqualTo("subscribed");
            reactor.send("op", "subscribe", "id", "r", "topic", "/C/X");
            assertThat(reactor.next().get("type").asText()).isEqualTo("subscribed");
            int rounds = 60;
            for (int k = 0; k < rounds; k++) {
                post(1, "/C/X", "{\"k\":" + k + "}", "x-" + k, 201);
                int round = k;
                reactor.until(f -> f.path("type").asText().equals("message")
                        && f.at("/message/payload/k").asInt(-1) == round, Duration.ofSeconds(10));
                reactor.send("op", "post", "id", "p" + k, "topic", "/C/Y", "payload", java.util.Map.of("k", k));
            }
            List<String> order = new ArrayList<>();
            observer.until(f -> {
                if (f.path("type").asText().equals("message")) {
                    order.add(f.at("/message/topic").asText() + "#" + f.at("/message/payload/k").asInt());
                }
                return order.size() == 2 * rounds;
            }, Duration.ofSeconds(20));
            for (int k = 0; k < rounds; k++) {
                assertThat(order.indexOf("/C/X#" + k)).as("X_%d before Y_%d in %s", k, k, order)
                        .isGreaterThanOrEqualTo(0).isLessThan(order.indexOf("/C/Y#" + k));
            }
        }
    }

    private void startAll() throws Exception {
        for (int i = 0; i < 3; i++) {
            clusterPorts[i] = freePort();
            dirs.add(Files.createTempDirectory("bp-cluster-n" + (i + 1) + "-"));
        }
        seeds = "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1] + ",127.0.0.1:" + clusterPorts[2];
        List<CompletableFuture<BackplaneNode>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            starting.add(CompletableFuture.supplyAsync(() -> start(n)));
        }
        for (int i = 0; i < 3; i++) {
            nodes[i] = starting.get(i).get();
        }
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> nodes[0].isReady() && nodes[1].isReady() && nodes[2].isReady());
    }

    private BackplaneNode start(int i) {
        List<String> args = new ArrayList<>(List.of("--data-dir", dirs.get(i).toString(), "--http-port", "0",
                "--cluster-port", Integer.toString(clusterPorts[i]), "--node-id", "n" + (i + 1), "--seeds", seeds));
        args.addAll(commonArgs);
        NodeCommand command = new NodeCommand();
        new CommandLine(command).parseArgs(args.toArray(String[]::new));
        NodeConfig config = command.resolve("testhost");
        return BackplaneNode.start(config);
    }

    private static List<Long> seqs(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    private JsonNode post(int node, String topic, String body, String key, int expected) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base(node) + "/api/v1/topics" + topic))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // As a client should: a 503 (a view change, e.g. after CPU starvation on a loaded machine made
        // the nodes suspect each other) is retried with the same key; if the first attempt did commit,
        // the retry answers 200 with the same envelope, which counts as the 201 expected.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        boolean retried = false;
        while (r.statusCode() == 503 && expected != 503 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            retried = true;
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        }
        int status = retried && expected == 201 && r.statusCode() == 200 ? 201 : r.statusCode();
        assertThat(status).as(r.body()).isEqualTo(expected);
        return JSON.readTree(r.body());
    }

    private JsonNode postUntilAnswered(int node, String topic, String body, String key) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base(node) + "/api/v1/topics" + topic))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        while ((r.statusCode() == 503 || r.statusCode() == 429) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        }
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        return JSON.readTree(r.body());
    }

    private Map<Long, String> history(int node, String topic) throws Exception {
        JsonNode page = get(node, "/api/v1/topics" + topic + "/messages?fromSeq=1&limit=10000");
        Map<Long, String> out = new LinkedHashMap<>();
        for (JsonNode m : page.get("messages")) {
            out.put(m.get("seq").asLong(), m.get("id").asText());
        }
        return out;
    }

    private JsonNode get(int node, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base(node) + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private String base(int node) {
        return "http://127.0.0.1:" + nodes[node].httpPort();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
