package io.backplane.node.wan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.support.TestNode;
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
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two single-node LANs in this JVM joined by a WAN link through the fault-injecting proxy: posts to
 * {@code T@NY} made at GENEVA get 202 once spooled and appear on NY's topic exactly once, in origin
 * order, with their ids, whatever the proxy does to the link; the spool is trimmed only as NY
 * acknowledges; the spool is invisible to clients.
 */
class WanLinkTest {
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

    private HttpResponse<String> post(TestNode node, String topic, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.baseUrl() + "/api/v1/topics" + topic))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(TestNode node, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private List<String> idsOn(TestNode node, String topic) throws Exception {
        List<String> ids = new ArrayList<>();
        JsonNode page = get(node, "/api/v1/topics" + topic + "/messages?fromSeq=1&limit=10000");
        long expectSeq = 1;
        for (JsonNode m : page.path("messages")) {
            assertThat(m.path("seq").asLong()).isEqualTo(expectSeq++);
            assertThat(m.path("lan").asText()).isEqualTo("NY");
            ids.add(m.path("id").asText());
        }
        return ids;
    }

    private JsonNode link(TestNode node) throws Exception {
        return get(node, "/api/v1/wan/links").path("links").get(0);
    }

    /** Posts n messages to /Q/IBM@NY, each with its own key; returns the ids of the 202s in order. */
    private List<String> postRemote(TestNode geneva, int from, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            HttpResponse<String> r = post(geneva, "/Q/IBM@NY", "k" + i, "{\"i\":" + i + "}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            JsonNode a = JSON.readTree(r.body());
            assertThat(a.path("status").asText()).isEqualTo("spooled");
            assertThat(a.path("topic").asText()).isEqualTo("/Q/IBM");
            assertThat(a.path("lan").asText()).isEqualTo("NY");
            ids.add(a.path("id").asText());
        }
        return ids;
    }

    @Test
    void exactlyOnceInOrderThroughDuplicatesReorderingACutAndAReceiverRestart() throws Exception {
        int nyWan = freePort();
        Path nyData = Files.createTempDirectory("bp-ny-");
        TestNode[] ny = {TestNode.start(nyData, false, "--lan", "NY", "--wan-port", Integer.toString(nyWan))};
        toClose.add(() -> {
            ny[0].close();
            TestNode.deleteRecursively(nyData);
        });
        FaultProxy proxy = closing(FaultProxy.to("127.0.0.1", nyWan));
        TestNode geneva = closing(TestNode.start("--lan", "GENEVA", "--wan-port", "0",
                "--wan-peer", "NY=127.0.0.1:" + proxy.port()));

        List<String> posted = new ArrayList<>(postRemote(geneva, 0, 30));
        proxy.duplicateEvery(5);
        proxy.reorderEvery(7);
        posted.addAll(postRemote(geneva, 30, 60));
        await().atMost(Duration.ofSeconds(30)).until(() -> idsOn(ny[0], "/Q/IBM").size() >= 90);
        assertThat(proxy.framesDuplicated()).isPositive();
        assertThat(proxy.framesReordered()).isPositive();
        proxy.duplicateEvery(0);
        proxy.reorderEvery(0);

        // A cut: posts are still spooled (202) and wait.
        proxy.cut();
        posted.addAll(postRemote(geneva, 90, 20));
        await().atMost(Duration.ofSeconds(15)).until(() -> link(geneva).path("spooled").asLong() == 20
                && !link(geneva).path("state").asText().equals("up"));
        assertThat(idsOn(ny[0], "/Q/IBM")).hasSize(90);
        proxy.heal();
        await().atMost(Duration.ofSeconds(30)).until(() -> idsOn(ny[0], "/Q/IBM").size() >= 110);

        // The receiver restarts from its data directory while more is spooled.
        ny[0].close();
        posted.addAll(postRemote(geneva, 110, 20));
        ny[0] = TestNode.start(nyData, false, "--lan", "NY", "--wan-port", Integer.toString(nyWan));
        await().atMost(Duration.ofSeconds(30)).until(() -> idsOn(ny[0], "/Q/IBM").size() >= 130);

        assertThat(idsOn(ny[0], "/Q/IBM")).containsExactlyElementsOf(posted);
        // Trimmed exactly as acknowledged: nothing left, nothing before it.
        await().atMost(Duration.ofSeconds(10)).until(() -> link(geneva).path("spooled").asLong() == 0
                && link(geneva).path("spoolFirstSeq").asLong() == 131); // trimmed within 100 ms of the ack
        JsonNode l = link(geneva);
        assertThat(l.path("lastAcked").asLong()).isEqualTo(130);
        assertThat(l.path("spoolFirstSeq").asLong()).isEqualTo(131);
        JsonNode nyLinks = get(ny[0], "/api/v1/wan/links");
        assertThat(nyLinks.path("applied").path("GENEVA").path("spoolSeq").asLong()).isEqualTo(130);
    }

    @Test
    void aRetriedKeyAnswersTheFirstSpooledPostAndTheSpoolIsInvisible() throws Exception {
        TestNode ny = closing(TestNode.start("--lan", "NY", "--wan-port", "0"));
        TestNode geneva = closing(TestNode.start("--lan", "GENEVA", "--wan-port", "0",
                "--wan-peer", "NY=127.0.0.1:" + ny.wanPort()));
        HttpResponse<String> first = post(geneva, "/A@NY", "key-1", "{\"x\":1}");
        HttpResponse<String> again = post(geneva, "/A@NY", "key-1", "{\"x\":1}");
        HttpResponse<String> otherTopic = post(geneva, "/B@NY", "key-1", "{\"x\":2}");
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(otherTopic.statusCode()).as("keys are per target topic").isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> idsOn(ny, "/A").size() == 1 && idsOn(ny, "/B").size() == 1);
        assertThat(idsOn(ny, "/A")).containsExactly(JSON.readTree(first.body()).path("id").asText());

        assertThat(get(geneva, "/api/v1/topics").path("topics")).isEmpty();
        assertThat(post(geneva, "/~wan/NY", null, "{}").statusCode()).isEqualTo(400);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(geneva.baseUrl() + "/api/v1/topics/~wan/NY/messages")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
        HttpResponse<String> unknown = post(geneva, "/A@TOKYO", null, "{}");
        assertThat(unknown.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(unknown.body()).path("error").asText()).isEqualTo("unavailable");
        assertThat(JSON.readTree(unknown.body()).path("message").asText()).contains("TOKYO");
    }

    @Test
    void aFullSpoolAnswers503AndDropsNothing() throws Exception {
        int nyWan = freePort();
        FaultProxy proxy = closing(FaultProxy.to("127.0.0.1", nyWan));
        proxy.cut();
        TestNode geneva = closing(TestNode.start("--lan", "GENEVA", "--wan-port", "0",
                "--wan-peer", "NY=127.0.0.1:" + proxy.port(), "--wan-spool-max-bytes", "4KiB"));
        List<String> accepted = new ArrayList<>();
        String big = "{\"pad\":\"" + "x".repeat(500) + "\"}";
        int refused = 0;
        for (int i = 0; i < 40 && refused == 0; i++) {
            HttpResponse<String> r = post(geneva, "/F@NY", "f" + i, big);
            if (r.statusCode() == 202) {
                accepted.add(JSON.readTree(r.body()).path("id").asText());
                Thread.sleep(120); // the spool's depth is refreshed every 100 ms
            } else {
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(JSON.readTree(r.body()).path("message").asText()).contains("spool for LAN NY is full");
                refused++;
            }
        }
        assertThat(refused).isEqualTo(1);
        assertThat(accepted.size()).isBetween(5, 12);
        TestNode ny = closing(TestNode.start("--lan", "NY", "--wan-port", Integer.toString(nyWan)));
        proxy.heal();
        await().atMost(Duration.ofSeconds(30)).until(() -> idsOn(ny, "/F").size() == accepted.size());
        assertThat(idsOn(ny, "/F")).containsExactlyElementsOf(accepted);
        await().atMost(Duration.ofSeconds(10)).until(() -> post(geneva, "/F@NY", "after", big).statusCode() == 202);
    }

    /**
     * A full replay forced by the proxy: NEWYORK's acknowledgements never reach GENEVA and its WELCOME
     * hints are zeroed, so after a reset GENEVA's spooler sends its whole spool again from the start.
     * Every resent post is recognised as applied; then the acknowledgements flow and the spool drains.
     */
    @Test
    void aFullReplayFromTheSpoolStartAddsNothing() throws Exception {
        TestNode ny = closing(TestNode.start("--lan", "NY", "--wan-port", "0"));
        FaultProxy proxy = closing(FaultProxy.to("127.0.0.1", ny.wanPort()));
        TestNode geneva = closing(TestNode.start("--lan", "GENEVA", "--wan-port", "0",
                "--wan-peer", "NY=127.0.0.1:" + proxy.port()));
        proxy.forgetAcknowledgements(true);
        List<String> posted = postRemote(geneva, 0, 100);
        await().atMost(Duration.ofSeconds(30)).until(() -> idsOn(ny, "/Q/IBM").size() == 100);
        assertThat(link(geneva).path("spooled").asLong()).as("nothing acknowledged, nothing trimmed").isEqualTo(100);
        long suppressedBefore = get(ny, "/api/v1/wan/links").path("duplicatesSuppressed").asLong();

        proxy.resetConnections();
        // The whole spool arrives again (and again after each go-back-N timeout while acks are hidden).
        await().atMost(Duration.ofSeconds(30)).until(() ->
                get(ny, "/api/v1/wan/links").path("duplicatesSuppressed").asLong() - suppressedBefore >= 100);
        assertThat(proxy.acknowledgementsDropped()).isPositive();
        assertThat(idsOn(ny, "/Q/IBM")).containsExactlyElementsOf(posted);

        proxy.forgetAcknowledgements(false);
        posted.addAll(postRemote(geneva, 100, 10));
        await().atMost(Duration.ofSeconds(30)).until(() -> link(geneva).path("spooled").asLong() == 0
                && idsOn(ny, "/Q/IBM").size() == 110);
        assertThat(idsOn(ny, "/Q/IBM")).containsExactlyElementsOf(posted);
        assertThat(link(geneva).path("framesSent").asLong()).as("the spool went out twice, then the 10 new posts")
                .isGreaterThanOrEqualTo(210);
    }
}
