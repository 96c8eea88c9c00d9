package io.backplane.node;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.backplane.node.support.TestNode;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every REST item of CONTRACT.md §4 against a real in-JVM node: successes, envelopes and each error code. */
class RestApiTest {
    private static TestNode node;
    private static String base;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        base = node.baseUrl();
        // Send Content-Type exactly as written (REST-assured otherwise appends charset=ISO-8859-1).
        io.restassured.RestAssured.config = io.restassured.config.RestAssuredConfig.config().encoderConfig(
                io.restassured.config.EncoderConfig.encoderConfig().appendDefaultContentCharsetToContentTypeIfUndefined(false));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static Response post(String topicPath, String contentType, String body) {
        return given().baseUri(base).contentType(contentType).body(body).post("/api/v1/topics/" + topicPath);
    }

    @Test
    void postAnswers201WithTheEnvelopeWithoutPayload() {
        Response r = post("REST/POST/IBM", "application/json", "{\"bid\":101.5}");
        r.then().statusCode(201).contentType(ContentType.JSON)
                .body("topic", equalTo("/REST/POST/IBM"))
                .body("lan", equalTo("LOCAL"))
                .body("seq", equalTo(1))
                .body("id", containsString("LOCAL:n1:"))
                .body("contentType", equalTo("application/json"))
                .body("$", not(hasKey("payload")));
        assertThat(r.jsonPath().getString("timestamp")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        post("REST/POST/IBM", "application/json", "{\"bid\":102}").then().statusCode(201).body("seq", equalTo(2));
    }

    @Test
    void payloadKeepsJsonValuesTextAndBinaryAsTheContractSays() {
        post("REST/PAYLOAD/T", "application/json", " {\"bid\": [1, 2]} ").then().statusCode(201);
        post("REST/PAYLOAD/T", "text/plain; charset=UTF-8", "héllo \"world\"").then().statusCode(201);
        post("REST/PAYLOAD/T", "text/plain; charset=ISO-8859-1", "héllo latin").then().statusCode(201);
        byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1};
        given().baseUri(base).contentType("application/octet-stream").body(binary)
                .post("/api/v1/topics/REST/PAYLOAD/T").then().statusCode(201);

        Response r = given().baseUri(base).get("/api/v1/topics/REST/PAYLOAD/T/messages?fromSeq=1");
        r.then().statusCode(200).body("messages.size()", equalTo(4));
        assertThat(r.jsonPath().getList("messages[0].payload.bid")).containsExactly(1, 2);
        assertThat(r.jsonPath().getString("messages[1].payload")).isEqualTo("héllo \"world\"");
        assertThat(r.jsonPath().getString("messages[1].contentType")).startsWith("text/plain");
        assertThat(r.jsonPath().getString("messages[2].payload")).as("decoded by its declared charset").isEqualTo("héllo latin");
        assertThat(r.jsonPath().getString("messages[3].encoding")).isEqualTo("base64");
        assertThat(Base64.getDecoder().decode(r.jsonPath().getString("messages[3].payload"))).isEqualTo(binary);
    }

    @Test
    void invalidJsonBodyIs400BadRequest() {
        post("REST/BAD/JSON", "application/json", "{\"bid\":").then().statusCode(400)
                .body("error", equalTo("bad-request")).body("message", containsString("JSON"));
        post("REST/BAD/JSON", "application/json", "1 2").then().statusCode(400).body("error", equalTo("bad-request"));
        // Jackson ends a root-level value at a NUL byte; found by PayloadFuzzTest: must not be stored as JSON
        post("REST/BAD/JSON", "application/json", "\u00003\u00003").then().statusCode(400)
                .body("error", equalTo("bad-request")).body("message", containsString("control character"));
        post("REST/BAD/JSON", "application/json", "3\u0000").then().statusCode(400).body("error", equalTo("bad-request"));
        given().baseUri(base).get("/api/v1/topics/REST/BAD/JSON/messages").then().statusCode(404);
    }

    @ParameterizedTest
    @ValueSource(strings = {"A/", "A//B", "A/../B", "A/./B", "A/B%20C", "A/*", "A/B@bad_lan",
            "A/B/C/D/E/F/G/H/I/J/K/L/M/N/O/P/Q"})
    void badTopicsAre400BadTopic(String topic) {
        post(topic, "application/json", "1").then().statusCode(400)
                .body("error", equalTo("bad-topic")).body("message", notNullValue());
    }

    @Test
    void overlongSegmentAndTopicAre400BadTopic() {
        post("A/" + "x".repeat(65), "application/json", "1").then().statusCode(400).body("error", equalTo("bad-topic"));
        String longTopic = String.join("/", java.util.Collections.nCopies(5, "y".repeat(60)));
        post(longTopic, "application/json", "1").then().statusCode(400).body("error", equalTo("bad-topic"));
    }

    @Test
    void bodyOverOneMebibyteIs413() {
        String big = "\"" + "x".repeat(1024 * 1024) + "\"";
        post("REST/BIG", "application/json", big).then().statusCode(413).body("error", equalTo("payload-too-large"));
        given().baseUri(base).get("/api/v1/topics/REST/BIG/messages").then().statusCode(404);
    }

    @Test
    void idempotentRetryReturns200WithTheFirstEnvelopeAndPostsNothing() {
        Response first = given().baseUri(base).contentType("application/json").header("Idempotency-Key", "k-1")
                .body("{\"n\":1}").post("/api/v1/topics/REST/IDEM");
        first.then().statusCode(201);
        Response retry = given().baseUri(base).contentType("application/json").header("Idempotency-Key", "k-1")
                .body("{\"n\":1}").post("/api/v1/topics/REST/IDEM");
        retry.then().statusCode(200);
        assertThat(retry.asString()).isEqualTo(first.asString());
        given().baseUri(base).contentType("application/json").header("Idempotency-Key", "k-2")
                .body("{\"n\":2}").post("/api/v1/topics/REST/IDEM").then().statusCode(201).body("seq", equalTo(2));
        given().baseUri(base).get("/api/v1/topics/REST/IDEM/messages").then().statusCode(200)
                .body("messages.size()", equalTo(2));
    }

    @Test
    void badIdempotencyKeyIs400() {
        given().baseUri(base).contentType("application/json").header("Idempotency-Key", "x".repeat(300))
                .body("1").post("/api/v1/topics/REST/IDEM/BAD").then().statusCode(400).body("error", equalTo("bad-request"));
    }

    @Test
    void topicsListingShowsBoundsAndFiltersByWholeSegmentPrefix() {
        for (int i = 0; i < 3; i++) {
            post("LIST/A/ONE", "application/json", "1").then().statusCode(201);
        }
        post("LIST/A/TWO", "application/json", "1").then().statusCode(201);
        post("LIST/AB", "application/json", "1").then().statusCode(201);
        Response r = given().baseUri(base).queryParam("prefix", "/LIST/A").get("/api/v1/topics");
        r.then().statusCode(200).body("topics.topic", equalTo(List.of("/LIST/A/ONE", "/LIST/A/TWO")));
        r.then().body("topics[0].firstSeq", equalTo(1)).body("topics[0].lastSeq", equalTo(3)).body("topics[0].count", equalTo(3));
        given().baseUri(base).get("/api/v1/topics").then().statusCode(200)
                .body("topics.topic", hasItems("/LIST/A/ONE", "/LIST/A/TWO", "/LIST/AB"));
        given().baseUri(base).queryParam("prefix", "LIST").get("/api/v1/topics").then().statusCode(400)
                .body("error", equalTo("bad-request"));
    }

    @Test
    void historyReadsByFromSeqLimitAndLast() {
        for (int i = 1; i <= 10; i++) {
            post("HIST/T", "application/json", "{\"i\":" + i + "}").then().statusCode(201);
        }
        given().baseUri(base).get("/api/v1/topics/HIST/T/messages?fromSeq=3&limit=4").then().statusCode(200)
                .body("topic", equalTo("/HIST/T"))
                .body("messages.seq", equalTo(List.of(3, 4, 5, 6)))
                .body("messages.payload.i", equalTo(List.of(3, 4, 5, 6)))
                .body("nextSeq", equalTo(7));
        given().baseUri(base).get("/api/v1/topics/HIST/T/messages?last=3").then().statusCode(200)
                .body("messages.seq", equalTo(List.of(8, 9, 10))).body("nextSeq", equalTo(11));
        given().baseUri(base).get("/api/v1/topics/HIST/T/messages").then().statusCode(200)
                .body("messages.size()", equalTo(10));
        given().baseUri(base).get("/api/v1/topics/HIST/T/messages?fromSeq=11").then().statusCode(200)
                .body("messages.size()", equalTo(0)).body("nextSeq", equalTo(11));
    }

    @ParameterizedTest
    @ValueSource(strings = {"limit=10001", "limit=0", "fromSeq=0", "fromSeq=x", "last=0", "last=10001", "last=2&fromSeq=1"})
    void badHistoryParametersAre400(String query) {
        post("HIST/PARAMS", "application/json", "1").then().statusCode(201);
        given().baseUri(base).get("/api/v1/topics/HIST/PARAMS/messages?" + query).then().statusCode(400)
                .body("error", equalTo("bad-request"));
    }

    @Test
    void unknownTopicHistoryIs404NotFound() {
        given().baseUri(base).get("/api/v1/topics/NO/SUCH/TOPIC/messages").then().statusCode(404)
                .body("error", equalTo("not-found"));
    }

    @Test
    void clusterIsAOneMemberViewAndWanLinksAreEmpty() {
        given().baseUri(base).get("/api/v1/cluster").then().statusCode(200)
                .body("lan", equalTo("LOCAL")).body("node", equalTo("n1"))
                .body("view.id", equalTo(1)).body("view.members", equalTo(List.of("n1")))
                .body("view.coordinator", equalTo("n1"));
        given().baseUri(base).get("/api/v1/wan/links").then().statusCode(200).body("links.size()", equalTo(0));
    }

    @Test
    void healthIsUpAndMetricsArePrometheusText() {
        given().baseUri(base).get("/health").then().statusCode(200).body("status", equalTo("UP"));
        post("METRICS/T", "application/json", "1").then().statusCode(201);
        String metrics = given().baseUri(base).get("/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("backplane_posts_total", "backplane_deliveries_total", "backplane_subscribers",
                "backplane_post_to_delivery_seconds_bucket", "backplane_rocksdb_write_seconds_count");
    }

    @Test
    void remoteLanPostIs503UntilWanSpoolingExistsAndOwnLanIsLocal() {
        post("REMOTE/T@NEW-YORK", "application/json", "1").then().statusCode(503).body("error", equalTo("unavailable"));
        post("REMOTE/T@LOCAL", "application/json", "1").then().statusCode(201).body("topic", equalTo("/REMOTE/T"));
        given().baseUri(base).urlEncodingEnabled(false).contentType("application/json").body("1")
                .post("/api/v1/topics/REMOTE/T%40LOCAL").then().statusCode(201).body("seq", equalTo(2));
    }

    @Test
    void unknownRoutesAndMethodsAnswerJsonErrorsNever500() {
        given().baseUri(base).get("/api/v1/nothing").then().statusCode(404).body("error", equalTo("not-found"));
        given().baseUri(base).delete("/api/v1/topics").then().statusCode(405).body("error", notNullValue());
        given().baseUri(base).get("/api/v1/ws").then().statusCode(400).body("error", equalTo("bad-request"));
        byte[] garbage = "\u0000\u0001{".getBytes(StandardCharsets.ISO_8859_1);
        given().baseUri(base).contentType("application/json").body(garbage).post("/api/v1/topics/G/T")
                .then().statusCode(400).body("error", equalTo("bad-request"));
    }
}
