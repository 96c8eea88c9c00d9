package io.backplane.node;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backplane.node.support.TestNode;
import io.backplane.node.support.WsTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configured limits answer with the contract's errors and lose nothing that was acknowledged. */
class LimitsTest {
    @TempDir
    Path tmp;

    private TestNode startWith(String yaml) throws Exception {
        Path config = tmp.resolve("limits.yaml");
        Files.writeString(config, yaml);
        return TestNode.start("--config", config.toString());
    }

    @Test
    void subscriptionsPerConnectionAreBounded() throws Exception {
        try (TestNode node = startWith("limits:\n  max-subscriptions-per-connection: 2\n");
             WsTestClient ws = WsTestClient.connect(node.baseUrl())) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"a\",\"topic\":\"/L/A\"}");
            ws.send("{\"op\":\"subscribe\",\"id\":\"b\",\"topic\":\"/L/B\"}");
            ws.send("{\"op\":\"subscribe\",\"id\":\"c\",\"topic\":\"/L/C\"}");
            assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
            assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
            JsonNode third = ws.next();
            assertThat(third.path("error").asText()).isEqualTo("too-many-requests");
            assertThat(third.path("id").asText()).isEqualTo("c");
            ws.send("{\"op\":\"unsubscribe\",\"id\":\"a\"}");
            assertThat(ws.next().path("type").asText()).isEqualTo("unsubscribed");
            ws.send("{\"op\":\"subscribe\",\"id\":\"c\",\"topic\":\"/L/C\"}");
            assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
        }
    }

    @Test
    void postsBeyondTheInflightBoundGet429AndTheAcceptedOnesAreAllStored() throws Exception {
        try (TestNode node = startWith("limits:\n  max-inflight-posts: 1\n");
             WsTestClient ws = WsTestClient.connect(node.baseUrl())) {
            int sent = 300;
            for (int i = 0; i < sent; i++) {
                ws.send("{\"op\":\"post\",\"id\":\"p" + i + "\",\"topic\":\"/L/BURST\",\"payload\":" + i + "}");
            }
            List<Long> seqs = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < sent; i++) {
                JsonNode f = ws.next(Duration.ofSeconds(20));
                if (f.path("type").asText().equals("posted")) {
                    seqs.add(f.path("message").path("seq").asLong());
                } else {
                    assertThat(f.path("error").asText()).isEqualTo("too-many-requests");
                    refused++;
                }
            }
            assertThat(refused).as("a pipelined burst passes an in-flight bound of 1").isPositive();
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            assertThat(seqs.get(seqs.size() - 1)).isEqualTo(seqs.size());
            given().baseUri(node.baseUrl()).get("/api/v1/topics/L/BURST/messages?limit=1000").then().statusCode(200)
                    .body("messages.size()", org.hamcrest.Matchers.equalTo(seqs.size()));
            var rest = given().baseUri(node.baseUrl()).contentType("application/json").body("1")
                    .post("/api/v1/topics/L/REST");
            assertThat(rest.statusCode()).isIn(201, 429);
            if (rest.statusCode() == 429) {
                assertThat(rest.header("Retry-After")).isEqualTo("1");
            }
        }
    }

    @Test
    void anOversizedWebsocketMessageClosesTheConnectionWith1009() throws Exception {
        try (TestNode node = startWith("limits:\n  max-payload-bytes: 1KiB\n  max-websocket-message-bytes: 4KiB\n");
             WsTestClient ws = WsTestClient.connect(node.baseUrl())) {
            ws.send("{\"op\":\"post\",\"id\":\"ok\",\"topic\":\"/L/WS\",\"payload\":\"" + "x".repeat(2000) + "\"}");
            assertThat(ws.next().path("error").asText()).isEqualTo("payload-too-large");
            ws.send("{\"op\":\"post\",\"id\":\"big\",\"topic\":\"/L/WS\",\"payload\":\"" + "x".repeat(6000) + "\"}");
            assertThat(ws.next().path("error").asText()).isEqualTo("payload-too-large");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!ws.isClosed() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(ws.closeCode()).as("close status (error: " + ws.error() + ")").isEqualTo(1009);
        }
        try (TestNode node = startWith("limits:\n  max-payload-bytes: 1KiB\n")) {
            given().baseUri(node.baseUrl()).contentType("text/plain").body("y".repeat(1025))
                    .post("/api/v1/topics/L/REST").then().statusCode(413);
        }
    }
}
