package io.backplane.node.wan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.support.TestNode;
import io.backplane.node.support.WsTestClient;
import io.backplane.wan.proxy.FaultProxy;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Remote subscriptions (CONTRACT.md §1, DESIGN.md §5): a client of GENEVA subscribes to
 * {@code pattern@NY}; GENEVA keeps a mirror of the matching NY topics with NY's own seq, id and
 * {@code lan}, and its subscribers get the same replay, seam and order as NY's own subscribers,
 * through a cut link, a restart of GENEVA, and NY's retention. Two single-node LANs in this JVM, the
 * link through the fault-injecting proxy.
 */
class RemoteSubscriptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void post(TestNode node, String topic, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/topics" + topic))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"i\":" + i + ",\"t\":\"" + topic + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        }
    }

    /** The history of a topic as the node serves it over REST: seq → the whole envelope. */
    private Map<Long, JsonNode> history(TestNode node, String topic) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/topics" + topic
                + "/messages?fromSeq=1&limit=10000")).build(), HttpResponse.BodyHandlers.ofString());
        Map<Long, JsonNode> out = new LinkedHashMap<>();
        if (r.statusCode() == 404) {
            return out;
        }
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        for (JsonNode m : JSON.readTree(r.body()).path("messages")) {
            out.put(m.path("seq").asLong(), m);
        }
        return out;
    }

    /** What one websocket subscription received, per topic: seqs, checked gapless and duplicate-free as they come. */
    private static final class Recorded {
        final Map<String, List<Long>> seqs = new LinkedHashMap<>();
        final Map<String, List<String>> ids = new LinkedHashMap<>();

        void take(WsTestClient ws, Duration timeout) {
            JsonNode f;
            while ((f = ws.poll(timeout)) != null) {
                if (!"message".equals(f.path("type").asText())) {
                    assertThat(f.path("type").asText()).as(f.toString()).isIn("subscribed", "replay-complete");
                    continue;
                }
                JsonNode m = f.path("message");
                assertThat(m.path("lan").asText()).isEqualTo("NY");
                String topic = m.path("topic").asText();
                List<Long> s = seqs.computeIfAbsent(topic, t -> new ArrayList<>());
                long seq = m.path("seq").asLong();
                if (!s.isEmpty()) {
                    assertThat(seq).as("seq after %s on %s (no gap, no duplicate)", s.get(s.size() - 1), topic)
                            .isEqualTo(s.get(s.size() - 1) + 1);
                }
                s.add(seq);
                ids.computeIfAbsent(topic, t -> new ArrayList<>()).add(m.path("id").asText());
            }
        }

        int count(String topic) {
            return seqs.getOrDefault(topic, List.of()).size();
        }
    }

    private static List<String> idsOf(Map<Long, JsonNode> history) {
        return history.values().stream().map(m -> m.path("id").asText()).toList();
    }

    @Test
    void aRemotePatternIsMirroredWithTheRemoteSeqsAndSurvivesACutAndARestart() throws Exception {
        int nyWan = freePort();
        Path nyData = Files.createTempDirectory("bp-ny-");
        TestNode ny = TestNode.start(nyData, false, "--lan", "NY", "--wan-port", Integer.toString(nyWan));
        toClose.add(() -> {
            ny.close();
            TestNode.deleteRecursively(nyData);
        });
        FaultProxy proxy = closing(FaultProxy.to("127.0.0.1", nyWan));
        Path genevaData = Files.createTempDirectory("bp-geneva-");
        String[] genevaFlags = {"--lan", "GENEVA", "--wan-port", "0", "--wan-peer", "NY=127.0.0.1:" + proxy.port()};
        TestNode[] geneva = {TestNode.start(genevaData, false, genevaFlags)};
        toClose.add(() -> {
            geneva[0].close();
            TestNode.deleteRecursively(genevaData);
        });

        post(ny, "/Q/A", 50);
        post(ny, "/Q/B", 10);
        post(ny, "/OTHER", 3); // outside the pattern: never mirrored

        // Replay of history, then live: NY's seqs and ids, gapless per topic.
        WsTestClient sub = closing(WsTestClient.connect(geneva[0].baseUrl()));
        sub.send("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"/Q/**@NY\",\"replay\":{\"fromSeq\":1}}");
        Recorded got = new Recorded();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            got.take(sub, Duration.ofMillis(200));
            return got.count("/Q/A") == 50 && got.count("/Q/B") == 10;
        });
        post(ny, "/Q/A", 20);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            got.take(sub, Duration.ofMillis(200));
            return got.count("/Q/A") == 70;
        });

        // The link is cut: NY goes on (a new topic too); after the heal the mirror catches up from where it was.
        proxy.cut();
        post(ny, "/Q/A", 30);
        post(ny, "/Q/C", 5);
        Thread.sleep(500); // nothing can arrive while cut; the heal is what the test is about
        proxy.heal();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            got.take(sub, Duration.ofMillis(200));
            return got.count("/Q/A") == 100 && got.count("/Q/C") == 5;
        });
        assertThat(got.seqs).doesNotContainKey("/OTHER");
        for (String t : List.of("/Q/A", "/Q/B", "/Q/C")) {
            assertThat(got.ids.get(t)).as(t).containsExactlyElementsOf(idsOf(history(ny, t)));
            assertThat(got.seqs.get(t).get(0)).isEqualTo(1L);
        }

        // The mirror's history over REST is NY's, envelope for envelope; another subscriber gets the seam.
        assertThat(history(geneva[0], "/Q/A@NY")).isEqualTo(history(ny, "/Q/A"));
        WsTestClient late = closing(WsTestClient.connect(geneva[0].baseUrl()));
        late.send("{\"op\":\"subscribe\",\"id\":\"s2\",\"topic\":\"/Q/A@NY\",\"replay\":{\"last\":10}}");
        Recorded lateGot = new Recorded();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            lateGot.take(late, Duration.ofMillis(200));
            return lateGot.count("/Q/A") == 10;
        });
        assertThat(lateGot.seqs.get("/Q/A").get(0)).isEqualTo(91L);

        // GENEVA restarts: its mirror and its registry of patterns are durable; the stream resumes
        // where the mirror stands, with nothing twice.
        sub.close();
        late.close();
        geneva[0].close();
        post(ny, "/Q/A", 10);
        geneva[0] = TestNode.start(genevaData, false, genevaFlags);
        await().atMost(Duration.ofSeconds(30)).until(() -> history(geneva[0], "/Q/A@NY").size() == 110);
        assertThat(history(geneva[0], "/Q/A@NY")).isEqualTo(history(ny, "/Q/A"));
        assertThat(history(geneva[0], "/Q/C@NY")).isEqualTo(history(ny, "/Q/C"));
        // Resumed, not replayed: the 10 new messages applied, none of the 115 it had streamed again.
        String scrape = http.send(HttpRequest.newBuilder(URI.create(geneva[0].baseUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(scrape).contains("backplane_wan_mirror_applied_total{lan=\"NY\"} 10.0")
                .contains("backplane_wan_mirror_duplicates_total 0.0");
        // Local names never see the mirror: a local pattern does not match it, the topic list does not show it.
        assertThat(history(geneva[0], "/Q/A")).isEmpty();
        String topics = http.send(HttpRequest.newBuilder(URI.create(geneva[0].baseUrl() + "/api/v1/topics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(topics).doesNotContain("mirror").doesNotContain("/Q/A");
    }

    @Test
    void aMirrorStartsWhereTheRemoteRetentionLeftTheHistoryAndSaysNoMore() throws Exception {
        Path config = Files.createTempFile("bp-ny-retention-", ".yaml");
        Files.writeString(config, "retention:\n  - prefix: /R\n    max-count: 5\n");
        toClose.add(() -> Files.deleteIfExists(config));
        int nyWan = freePort();
        TestNode ny = closing(TestNode.start("--lan", "NY", "--wan-port", Integer.toString(nyWan),
                "--config", config.toString()));
        TestNode geneva = closing(TestNode.start("--lan", "GENEVA", "--wan-port", "0",
                "--wan-peer", "NY=127.0.0.1:" + nyWan));
        post(ny, "/R/x", 20);
        // retention runs every 5 s
        await().atMost(Duration.ofSeconds(20)).until(() -> history(ny, "/R/x").keySet().iterator().next() == 16L);

        WsTestClient sub = closing(WsTestClient.connect(geneva.baseUrl()));
        sub.send("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"/R/*@NY\",\"replay\":{\"fromSeq\":1}}");
        Recorded got = new Recorded();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            got.take(sub, Duration.ofMillis(200));
            return got.count("/R/x") == 5;
        });
        assertThat(got.seqs.get("/R/x")).containsExactly(16L, 17L, 18L, 19L, 20L);
        post(ny, "/R/x", 3);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            got.take(sub, Duration.ofMillis(200));
            return got.count("/R/x") == 8;
        });
        assertThat(history(geneva, "/R/x@NY").keySet()).containsExactly(16L, 17L, 18L, 19L, 20L, 21L, 22L, 23L);
    }

    @Test
    void aRemoteSubscriptionWithoutALinkToThatLanIsRefusedClearly() throws Exception {
        TestNode geneva = closing(TestNode.start("--lan", "GENEVA", "--wan-port", "0", "--wan-peer", "NY=127.0.0.1:9"));
        WsTestClient ws = closing(WsTestClient.connect(geneva.baseUrl()));
        ws.send("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"/Q/**@TOKYO\"}");
        JsonNode f = ws.next(Duration.ofSeconds(5));
        assertThat(f.path("type").asText()).isEqualTo("error");
        assertThat(f.path("error").asText()).isEqualTo("unavailable");
        assertThat(f.path("message").asText()).contains("TOKYO");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(geneva.baseUrl()
                + "/api/v1/topics/Q/A@NY/messages")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("no mirror of /Q/A@NY");
    }
}
