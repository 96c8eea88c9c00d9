package io.backplane.node.ops;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreConfig;
import io.backplane.history.RocksHistoryStore;
import io.backplane.node.support.TestNode;
import io.backplane.node.support.WsTestClient;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** docs/API.md "Operations" on one in-process node: version, online checkpoint, drain. */
class OpsApiTest {
    private TestNode node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void versionNamesTheBuildAndTheJavaRuntime() {
        node = TestNode.start();
        given().baseUri(node.baseUrl()).get("/api/v1/version").then().statusCode(200)
                .body("version", startsWith("0."))
                .body("commit", org.hamcrest.Matchers.not(org.hamcrest.Matchers.emptyOrNullString()))
                .body("java.version", equalTo(System.getProperty("java.version")));
    }

    @Test
    void aCheckpointTakenWhileServingOpensAsAStoreHoldingEveryAcknowledgedPost() throws Exception {
        node = TestNode.start();
        for (int i = 1; i <= 20; i++) {
            given().baseUri(node.baseUrl()).contentType("application/json").body("{\"i\":" + i + "}")
                    .post("/api/v1/topics/OPS/A").then().statusCode(201);
        }
        Response r = given().baseUri(node.baseUrl()).contentType("application/json").body("{\"name\":\"before-upgrade\"}")
                .post("/api/v1/admin/checkpoint");
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(201);
        Path dir = Path.of(r.jsonPath().getString("path"));
        assertThat(dir).isEqualTo(node.dataDir().resolve("checkpoints/before-upgrade").toAbsolutePath().normalize());
        assertThat(r.jsonPath().getInt("topics")).isEqualTo(1);
        assertThat(r.jsonPath().getLong("messages")).isEqualTo(20);
        // the node goes on serving after it
        given().baseUri(node.baseUrl()).contentType("application/json").body("{\"i\":21}")
                .post("/api/v1/topics/OPS/A").then().statusCode(201);

        try (HistoryStore copy = RocksHistoryStore.open(HistoryStoreConfig.defaults(dir))) {
            List<HistoryRecord> records = copy.readFrom("/OPS/A", 1, 100);
            assertThat(records).extracting(HistoryRecord::seq).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList());
        }
        // a default name is the UTC time; the same name twice, or a name that could leave the directory, is refused
        given().baseUri(node.baseUrl()).post("/api/v1/admin/checkpoint").then().statusCode(201)
                .body("checkpoint", startsWith("checkpoint-20"));
        for (String body : List.of("{\"name\":\"before-upgrade\"}", "{\"name\":\"../x\"}", "{\"name\":\"..\"}",
                "{\"name\":7}", "[1]", "not json")) {
            given().baseUri(node.baseUrl()).contentType("application/json").body(body).post("/api/v1/admin/checkpoint")
                    .then().statusCode(400).body("error", equalTo("bad-request"));
        }
        assertThat(Files.exists(node.dataDir().resolve("x"))).isFalse();
    }

    @Test
    void aDrainingNodeHandsSubscribersAReconnectHintRefusesNewWorkAndAsksToStop() throws Exception {
        node = TestNode.start();
        try (WsTestClient ws = WsTestClient.connect(node.baseUrl())) {
            ws.send("op", "subscribe", "id", "s1", "topic", "/OPS/**");
            assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");

            given().baseUri(node.baseUrl()).post("/api/v1/admin/drain").then().statusCode(202)
                    .body("status", equalTo("draining"));

            JsonNode hint = ws.until(f -> f.path("type").asText().equals("error"), Duration.ofSeconds(10))
                    .stream().reduce((a, b) -> b).orElseThrow();
            assertThat(hint.path("error").asText()).isEqualTo("unavailable");
            assertThat(hint.path("reconnect").asBoolean()).isTrue();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(ws::isClosed);
            assertThat(ws.closeCode()).isEqualTo(1001);
        }
        given().baseUri(node.baseUrl()).get("/health").then().statusCode(503).body("reason", equalTo("draining"));
        given().baseUri(node.baseUrl()).contentType("application/json").body("1").post("/api/v1/topics/OPS/A")
                .then().statusCode(503).body("error", equalTo("unavailable"));
        given().baseUri(node.baseUrl()).get("/api/v1/topics").then().statusCode(503);
        // what it is and how it is stay visible to the operator's scripts
        given().baseUri(node.baseUrl()).get("/api/v1/version").then().statusCode(200);
        given().baseUri(node.baseUrl()).get("/metrics").then().statusCode(200);
        // a second drain call is harmless
        given().baseUri(node.baseUrl()).post("/api/v1/admin/drain").then().statusCode(202).body("started", equalTo(false));
        node.node().exitRequested().get(15, java.util.concurrent.TimeUnit.SECONDS);
    }
}
