package io.backplane.node;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backplane.node.support.TestNode;
import io.backplane.node.support.WsTestClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every websocket item of CONTRACT.md §5: the four replay forms, patterns, unsubscribe, posts and errors. */
class WebSocketApiTest {
    private static TestNode node;
    private static String base;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        base = node.baseUrl();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static long postRest(String topic, String json) {
        return given().baseUri(base).contentType("application/json").body(json)
                .post("/api/v1/topics" + topic).then().statusCode(201).extract().jsonPath().getLong("seq");
    }

    private static List<Long> seqs(List<JsonNode> frames, String type) {
        return frames.stream().filter(f -> f.path("type").asText().equals(type))
                .map(f -> f.path("message").path("seq").asLong()).toList();
    }

    @Test
    void liveOnlySubscriptionGetsMessagesPostedAfterIt() {
        postRest("/WS/LIVE", "{\"before\":true}");
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"/WS/LIVE\"}");
            assertThat(ws.next().toString()).isEqualTo("{\"type\":\"subscribed\",\"id\":\"s1\"}");
            postRest("/WS/LIVE", "{\"bid\":101.5}");
            JsonNode m = ws.next();
            assertThat(m.path("type").asText()).isEqualTo("message");
            assertThat(m.path("sub").asText()).isEqualTo("s1");
            assertThat(m.path("replay").asBoolean()).isFalse();
            assertThat(m.path("message").path("seq").asLong()).isEqualTo(2);
            assertThat(m.path("message").path("payload").path("bid").asDouble()).isEqualTo(101.5);
            assertThat(m.path("message").path("topic").asText()).isEqualTo("/WS/LIVE");
            assertThat(ws.poll(Duration.ofMillis(200))).as("no replay-complete for a live-only subscription").isNull();
        }
    }

    @Test
    void fromSeqReplaysThenGoesLiveWithoutGapOrDuplicate() {
        for (int i = 0; i < 5; i++) {
            postRest("/WS/FROMSEQ", "{\"i\":" + i + "}");
        }
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"/WS/FROMSEQ\",\"replay\":{\"fromSeq\":2}}");
            List<JsonNode> frames = ws.until(f -> f.path("type").asText().equals("replay-complete"), Duration.ofSeconds(10));
            assertThat(frames.get(0).path("type").asText()).isEqualTo("subscribed");
            assertThat(seqs(frames, "message")).containsExactly(2L, 3L, 4L, 5L);
            assertThat(frames.stream().filter(f -> f.path("type").asText().equals("message"))
                    .allMatch(f -> f.path("replay").asBoolean())).isTrue();
            JsonNode complete = frames.get(frames.size() - 1);
            assertThat(complete.path("sub").asText()).isEqualTo("s1");
            assertThat(complete.path("topic").asText()).isEqualTo("/WS/FROMSEQ");
            assertThat(complete.path("lastSeq").asLong()).isEqualTo(5);
            postRest("/WS/FROMSEQ", "{\"i\":5}");
            JsonNode live = ws.next();
            assertThat(live.path("replay").asBoolean()).isFalse();
            assertThat(live.path("message").path("seq").asLong()).isEqualTo(6);
        }
    }

    @Test
    void lastNReplaysTheNewestN() {
        for (int i = 0; i < 6; i++) {
            postRest("/WS/LAST", "{\"i\":" + i + "}");
        }
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"s2\",\"topic\":\"/WS/LAST\",\"replay\":{\"last\":2}}");
            List<JsonNode> frames = ws.until(f -> f.path("type").asText().equals("replay-complete"), Duration.ofSeconds(10));
            assertThat(seqs(frames, "message")).containsExactly(5L, 6L);
        }
    }

    @Test
    void fromTimeReplaysFromTheFirstMessageAtOrAfterThatTime() throws Exception {
        postRest("/WS/TIME", "{\"old\":1}");
        postRest("/WS/TIME", "{\"old\":2}");
        Thread.sleep(20); // timestamps have millisecond resolution: make the boundary unambiguous
        Instant boundary = Instant.now();
        Thread.sleep(20);
        postRest("/WS/TIME", "{\"new\":3}");
        postRest("/WS/TIME", "{\"new\":4}");
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"s3\",\"topic\":\"/WS/TIME\",\"replay\":{\"fromTime\":\"" + boundary + "\"}}");
            List<JsonNode> frames = ws.until(f -> f.path("type").asText().equals("replay-complete"), Duration.ofSeconds(10));
            assertThat(seqs(frames, "message")).containsExactly(3L, 4L);
        }
    }

    @Test
    void singleStarPatternReplaysEachMatchingTopicAndPicksUpNewTopics() {
        postRest("/WS/PAT/IBM", "1");
        postRest("/WS/PAT/IBM", "2");
        postRest("/WS/PAT/AAPL", "1");
        postRest("/WS/PAT/DEEP/X", "1");
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"p\",\"topic\":\"/WS/PAT/*\",\"replay\":{\"fromSeq\":1}}");
            assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
            Map<String, List<Long>> replayed = new java.util.TreeMap<>();
            int completes = 0;
            while (completes < 2) {
                JsonNode f = ws.next();
                if (f.path("type").asText().equals("replay-complete")) {
                    completes++;
                } else {
                    replayed.computeIfAbsent(f.path("message").path("topic").asText(), k -> new java.util.ArrayList<>())
                            .add(f.path("message").path("seq").asLong());
                }
            }
            assertThat(replayed).isEqualTo(Map.of("/WS/PAT/AAPL", List.of(1L), "/WS/PAT/IBM", List.of(1L, 2L)));
            postRest("/WS/PAT/NEWCO", "{\"fresh\":true}");
            postRest("/WS/PAT/DEEP/Y", "1"); // two segments: * does not match
            postRest("/WS/PAT/IBM", "3");
            JsonNode first = ws.next();
            assertThat(first.path("message").path("topic").asText()).isEqualTo("/WS/PAT/NEWCO");
            assertThat(first.path("message").path("seq").asLong()).isEqualTo(1);
            JsonNode second = ws.next();
            assertThat(second.path("message").path("topic").asText()).isEqualTo("/WS/PAT/IBM");
            assertThat(second.path("message").path("seq").asLong()).isEqualTo(3);
        }
    }

    @Test
    void doubleStarMatchesEveryDepthIncludingZero() {
        postRest("/WS/DS", "1");
        postRest("/WS/DS/A", "1");
        postRest("/WS/DS/A/B/C", "1");
        postRest("/WS/DSX", "1");
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"d\",\"topic\":\"/WS/DS/**\",\"replay\":{\"last\":10}}");
            ws.next();
            List<String> topics = new java.util.ArrayList<>();
            int completes = 0;
            while (completes < 3) {
                JsonNode f = ws.next();
                if (f.path("type").asText().equals("replay-complete")) {
                    completes++;
                } else {
                    topics.add(f.path("message").path("topic").asText());
                }
            }
            assertThat(topics).containsExactlyInAnyOrder("/WS/DS", "/WS/DS/A", "/WS/DS/A/B/C");
            postRest("/WS/DS/NEW/DEEPER", "1");
            assertThat(ws.next().path("message").path("topic").asText()).isEqualTo("/WS/DS/NEW/DEEPER");
        }
    }

    @Test
    void unsubscribeStopsDeliveries() {
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"u\",\"topic\":\"/WS/UNSUB\"}");
            ws.next();
            postRest("/WS/UNSUB", "1");
            assertThat(ws.next().path("message").path("seq").asLong()).isEqualTo(1);
            ws.send("{\"op\":\"unsubscribe\",\"id\":\"u\"}");
            assertThat(ws.next().toString()).isEqualTo("{\"type\":\"unsubscribed\",\"id\":\"u\"}");
            postRest("/WS/UNSUB", "2");
            assertThat(ws.poll(Duration.ofMillis(300))).isNull();
            ws.send("{\"op\":\"unsubscribe\",\"id\":\"u\"}");
            assertThat(ws.next().path("error").asText()).isEqualTo("not-found");
        }
    }

    @Test
    void postOverTheSocketAnswersPostedAndHonoursIdempotencyKeys() {
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"s\",\"topic\":\"/WS/POST/IBM\"}");
            ws.next();
            ws.send("{\"op\":\"post\",\"id\":\"p1\",\"topic\":\"/WS/POST/IBM\",\"payload\":{\"bid\":101.5},\"idempotencyKey\":\"k-1\"}");
            List<JsonNode> frames = ws.until(f -> f.path("type").asText().equals("posted"), Duration.ofSeconds(10));
            JsonNode posted = frames.get(frames.size() - 1);
            assertThat(posted.path("id").asText()).isEqualTo("p1");
            assertThat(posted.path("message").path("seq").asLong()).isEqualTo(1);
            assertThat(posted.path("message").has("payload")).isFalse();
            ws.send("{\"op\":\"post\",\"id\":\"p2\",\"topic\":\"/WS/POST/IBM\",\"payload\":{\"bid\":101.5},\"idempotencyKey\":\"k-1\"}");
            JsonNode again = ws.until(f -> f.path("type").asText().equals("posted"), Duration.ofSeconds(10))
                    .stream().reduce((a, b) -> b).orElseThrow();
            assertThat(again.path("id").asText()).isEqualTo("p2");
            assertThat(again.path("message")).isEqualTo(posted.path("message"));
        }
        given().baseUri(base).get("/api/v1/topics/WS/POST/IBM/messages").then().statusCode(200)
                .body("messages.size()", org.hamcrest.Matchers.equalTo(1));
    }

    @Test
    void subscriberAndConnectionGaugesCountLiveSubscriptionsEvenAfterAGc() {
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"g1\",\"topic\":\"/WS/GAUGE\"}");
            ws.send("{\"op\":\"subscribe\",\"id\":\"g2\",\"topic\":\"/WS/GAUGE/**\"}");
            ws.next();
            ws.next();
            System.gc();
            String metrics = given().baseUri(base).get("/metrics").then().statusCode(200).extract().asString();
            double subscribers = gauge(metrics, "backplane_subscribers");
            double connections = gauge(metrics, "backplane_websocket_connections");
            assertThat(subscribers).as(metrics).isGreaterThanOrEqualTo(2);
            assertThat(connections).isGreaterThanOrEqualTo(1);
        }
    }

    private static double gauge(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).map(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " missing"));
    }

    @Test
    void aPostWithoutAnIdIsStillAnswered() {
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"post\",\"topic\":\"/WS/NOID\",\"payload\":\"x\"}");
            JsonNode posted = ws.next();
            assertThat(posted.path("type").asText()).isEqualTo("posted");
            assertThat(posted.has("id")).isFalse();
            assertThat(posted.path("message").path("seq").asLong()).isEqualTo(1);
            ws.send("{\"op\":\"post\",\"topic\":\"/WS/NOID\"}");
            JsonNode error = ws.next();
            assertThat(error.path("error").asText()).isEqualTo("bad-request");
            assertThat(error.has("id")).isFalse();
        }
    }

    @Test
    void badFramesGetErrorFramesAndTheConnectionStaysUsable() {
        try (WsTestClient ws = WsTestClient.connect(base)) {
            Map<String, String> expected = new java.util.LinkedHashMap<>();
            expected.put("not json", "bad-request");
            expected.put("[1,2]", "bad-request");
            expected.put("{\"op\":\"dance\",\"id\":\"x\"}", "bad-request");
            expected.put("{\"op\":\"subscribe\",\"id\":\"b1\",\"topic\":\"/A//B\"}", "bad-topic");
            expected.put("{\"op\":\"subscribe\",\"id\":\"b2\",\"topic\":\"/A/**/B\"}", "bad-topic");
            expected.put("{\"op\":\"subscribe\",\"id\":\"b3\",\"topic\":\"/A\",\"replay\":{\"fromSeq\":0}}", "bad-request");
            expected.put("{\"op\":\"subscribe\",\"id\":\"b4\",\"topic\":\"/A\",\"replay\":{\"fromTime\":\"yesterday\"}}", "bad-request");
            expected.put("{\"op\":\"subscribe\",\"id\":\"b5\",\"topic\":\"/A\",\"replay\":{\"last\":1,\"fromSeq\":1}}", "bad-request");
            expected.put("{\"op\":\"subscribe\",\"topic\":\"/A\"}", "bad-request");
            expected.put("{\"op\":\"post\",\"id\":\"b6\",\"topic\":\"/A\"}", "bad-request");
            expected.put("{\"op\":\"post\",\"id\":\"b7\",\"topic\":\"A\",\"payload\":1}", "bad-topic");
            expected.put("{\"op\":\"post\",\"id\":\"b8\",\"topic\":\"/A@ELSEWHERE\",\"payload\":1}", "unavailable");
            for (Map.Entry<String, String> e : expected.entrySet()) {
                ws.send(e.getKey());
                JsonNode f = ws.next();
                assertThat(f.path("type").asText()).as(e.getKey()).isEqualTo("error");
                assertThat(f.path("error").asText()).as(e.getKey()).isEqualTo(e.getValue());
                assertThat(f.path("message").asText()).as(e.getKey()).isNotBlank();
            }
            ws.send("{\"op\":\"subscribe\",\"id\":\"dup\",\"topic\":\"/A\"}");
            assertThat(ws.next().path("type").asText()).isEqualTo("subscribed");
            ws.send("{\"op\":\"subscribe\",\"id\":\"dup\",\"topic\":\"/B\"}");
            JsonNode dup = ws.next();
            assertThat(dup.path("error").asText()).isEqualTo("bad-request");
            assertThat(dup.path("id").asText()).isEqualTo("dup");
        }
    }

    @Test
    void oversizedPayloadOverTheSocketIsPayloadTooLarge() {
        try (WsTestClient ws = WsTestClient.connect(base)) {
            String big = "x".repeat(1024 * 1024);
            ws.send("{\"op\":\"post\",\"id\":\"big\",\"topic\":\"/WS/BIG\",\"payload\":\"" + big + "\"}");
            JsonNode f = ws.next();
            assertThat(f.path("error").asText()).isEqualTo("payload-too-large");
        }
    }

    @Test
    void aConnectionSeesMessagesOfAllItsSubscriptionsInPostOrder() {
        try (WsTestClient ws = WsTestClient.connect(base)) {
            ws.send("{\"op\":\"subscribe\",\"id\":\"a\",\"topic\":\"/WS/ORDER/A\"}");
            ws.send("{\"op\":\"subscribe\",\"id\":\"b\",\"topic\":\"/WS/ORDER/B\"}");
            ws.next();
            ws.next();
            for (int i = 0; i < 20; i++) {
                postRest(i % 2 == 0 ? "/WS/ORDER/A" : "/WS/ORDER/B", "{\"i\":" + i + "}");
            }
            List<Integer> order = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                order.add(ws.next().path("message").path("payload").path("i").asInt());
            }
            assertThat(order).isEqualTo(java.util.stream.IntStream.range(0, 20).boxed().collect(Collectors.toList()));
        }
    }
}
