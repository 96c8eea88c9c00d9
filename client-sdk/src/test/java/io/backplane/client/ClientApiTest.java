package io.backplane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every call of the SDK's API against one real node process: posts over websocket and REST with each
 * body kind, every replay form, patterns, unsubscribe, and the errors a caller can get.
 */
@SuppressWarnings("try") // subscriptions held open by try-with-resources only for their lifetime
class ClientApiTest {
    private static final long WAIT_MILLIS = 10_000;
    private static NodeProcess node;
    private static BackplaneClient client;

    @BeforeAll
    static void startNode() {
        node = NodeProcess.start("api");
        client = BackplaneClient.connect(List.of(node.uri()));
    }

    @AfterAll
    static void stopNode() {
        if (client != null) {
            client.close();
        }
        if (node != null) {
            node.close();
        }
    }

    private static Posted post(String topic, String json) throws Exception {
        return client.post(topic, json).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Test
    void postAcknowledgesWithSeqAndSubscriberReceivesTheEnvelope() throws Exception {
        Recorder recorder = new Recorder();
        try (Subscription sub = client.subscribe("/API/POST/IBM", Replay.none(), recorder)) {
            Posted first = post("/API/POST/IBM", "{\"bid\":101.5}");
            Posted second = post("/API/POST/IBM", "{\"bid\":101.75}");

            assertThat(first.seq()).isEqualTo(1);
            assertThat(second.seq()).isEqualTo(2);
            assertThat(first.topic()).isEqualTo("/API/POST/IBM");
            assertThat(first.lan()).isEqualTo("LOCAL");
            assertThat(first.id()).isNotBlank().isNotEqualTo(second.id());
            assertThat(first.timestamp()).isNotNull();
            assertThat(first.spooled()).isFalse();

            recorder.awaitCount(2, WAIT_MILLIS);
            Message m = recorder.messages().get(0);
            assertThat(m.topic()).isEqualTo("/API/POST/IBM");
            assertThat(m.lan()).isEqualTo("LOCAL");
            assertThat(m.seq()).isEqualTo(1);
            assertThat(m.id()).isEqualTo(first.id());
            assertThat(m.timestamp()).isEqualTo(first.timestamp());
            assertThat(m.contentType()).isEqualTo("application/json");
            assertThat(m.payloadAsString()).isEqualTo("{\"bid\":101.5}");
            assertThat(m.payloadAsJson().get("bid").asDouble()).isEqualTo(101.5);
            assertThat(m.isReplay()).isFalse();
            assertThat(sub.lastSeq("/API/POST/IBM")).hasValue(2);
            assertThat(sub.deliveredCount()).isEqualTo(2);
        }
    }

    @Test
    void textAndBinaryBodiesRoundTrip() throws Exception {
        Recorder recorder = new Recorder();
        byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0x80};
        try (Subscription sub = client.subscribe("/API/BODIES", Replay.none(), recorder)) {
            client.post("/API/BODIES", "hello, world", "text/plain").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            client.post("/API/BODIES", notUtf8, "application/octet-stream").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            client.post("/API/BODIES", "plain bytes".getBytes(StandardCharsets.UTF_8), "text/plain")
                    .get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            client.post("/API/BODIES", "[1,2,3]", "application/vnd.quote+json").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);

            recorder.awaitCount(4, WAIT_MILLIS);
            List<Message> got = recorder.messages();
            assertThat(got.get(0).contentType()).startsWith("text/plain");
            assertThat(got.get(0).payloadAsString()).isEqualTo("hello, world");
            assertThat(got.get(1).payloadAsBytes()).isEqualTo(notUtf8);
            assertThat(got.get(2).payloadAsString()).isEqualTo("plain bytes");
            assertThat(got.get(3).payloadAsString()).isEqualTo("[1,2,3]");
            assertThat(got).extracting(Message::seq).containsExactly(1L, 2L, 3L, 4L);
        }
    }

    @Test
    void restTransportPostsWithTheSameResult() throws Exception {
        ClientOptions options = ClientOptions.builder().postTransport(ClientOptions.PostTransport.REST).build();
        try (BackplaneClient rest = BackplaneClient.connect(List.of(node.uri()), options)) {
            Posted a = rest.post("/API/REST", "{\"n\":1}").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            Posted b = rest.post("/API/REST", "note", "text/plain").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            assertThat(a.seq()).isEqualTo(1);
            assertThat(b.seq()).isEqualTo(2);
            Recorder recorder = new Recorder();
            try (Subscription sub = rest.subscribe("/API/REST", Replay.fromSeq(1), recorder)) {
                recorder.awaitCount(2, WAIT_MILLIS);
                assertThat(recorder.messages()).extracting(Message::payloadAsString).containsExactly("{\"n\":1}", "note");
            }
        }
    }

    @Test
    void replayFromSeqThenLiveWithNoGapAtTheSeam() throws Exception {
        for (int i = 1; i <= 5; i++) {
            post("/API/REPLAY/FROMSEQ", "{\"i\":" + i + "}");
        }
        Recorder recorder = new Recorder();
        try (Subscription sub = client.subscribe("/API/REPLAY/FROMSEQ", Replay.fromSeq(3), recorder)) {
            post("/API/REPLAY/FROMSEQ", "{\"i\":6}");
            recorder.awaitLastSeq("/API/REPLAY/FROMSEQ", 6, WAIT_MILLIS);
            List<Message> got = recorder.messages();
            assertThat(got).extracting(Message::seq).containsExactly(3L, 4L, 5L, 6L);
            assertThat(got.get(0).isReplay()).isTrue();
            assertThat(got.get(3).isReplay()).isFalse();
            assertThat(recorder.violations()).isEmpty();
        }
    }

    @Test
    void replayLastGivesTheNewestMessages() throws Exception {
        for (int i = 1; i <= 10; i++) {
            post("/API/REPLAY/LAST", "{\"i\":" + i + "}");
        }
        Recorder recorder = new Recorder();
        try (Subscription sub = client.subscribe("/API/REPLAY/LAST", Replay.last(3), recorder)) {
            recorder.awaitCount(3, WAIT_MILLIS);
            post("/API/REPLAY/LAST", "{\"i\":11}");
            recorder.awaitCount(4, WAIT_MILLIS);
            assertThat(recorder.messages()).extracting(Message::seq).containsExactly(8L, 9L, 10L, 11L);
        }
    }

    @Test
    void replayFromTimeStartsAtTheFirstMessageAtOrAfterIt() throws Exception {
        post("/API/REPLAY/TIME", "{\"i\":1}");
        Posted second = post("/API/REPLAY/TIME", "{\"i\":2}");
        post("/API/REPLAY/TIME", "{\"i\":3}");
        Recorder recorder = new Recorder();
        try (Subscription sub = client.subscribe("/API/REPLAY/TIME", Replay.fromTime(second.timestamp()), recorder)) {
            recorder.await(list -> list.stream().anyMatch(m -> m.seq() == 3), WAIT_MILLIS, "seq 3");
            List<Message> got = recorder.messages();
            assertThat(got.get(0).seq()).isLessThanOrEqualTo(2); // seq 1 may share the millisecond
            assertThat(got.get(0).timestamp()).isBeforeOrEqualTo(second.timestamp());
            assertThat(got).extracting(Message::seq).endsWith(2L, 3L);
        }
        Recorder future = new Recorder();
        try (Subscription sub = client.subscribe("/API/REPLAY/TIME", Replay.fromTime(Instant.now().plusSeconds(3600)), future)) {
            post("/API/REPLAY/TIME", "{\"i\":4}");
            future.awaitCount(1, WAIT_MILLIS);
            assertThat(future.messages().get(0).seq()).isEqualTo(4);
        }
    }

    @Test
    void replayNoneGetsOnlyMessagesPostedAfterSubscribing() throws Exception {
        post("/API/REPLAY/NONE", "{\"old\":true}");
        Recorder recorder = new Recorder();
        try (Subscription sub = client.subscribe("/API/REPLAY/NONE", recorder)) {
            assertThat(sub.topicOrPattern()).isEqualTo("/API/REPLAY/NONE");
            post("/API/REPLAY/NONE", "{\"new\":true}");
            recorder.awaitCount(1, WAIT_MILLIS);
            Thread.sleep(200); // nothing else may arrive: the old message must not be replayed
            assertThat(recorder.messages()).extracting(Message::seq).containsExactly(2L);
            assertThat(sub.lastSeq("/API/REPLAY/NONE")).hasValue(2);
        }
    }

    @Test
    void patternReplaysEveryMatchingTopicAndPicksUpNewOnes() throws Exception {
        post("/API/PAT/A", "{\"a\":1}");
        post("/API/PAT/A", "{\"a\":2}");
        post("/API/PAT/B", "{\"b\":1}");
        post("/API/OTHER/C", "{\"c\":1}");
        Recorder recorder = new Recorder();
        try (Subscription sub = client.subscribe("/API/PAT/*", Replay.fromSeq(1), recorder)) {
            recorder.awaitCount(3, WAIT_MILLIS);
            post("/API/PAT/NEW", "{\"n\":1}");
            post("/API/PAT/A", "{\"a\":3}");
            post("/API/OTHER/C", "{\"c\":2}");
            recorder.awaitCount(5, WAIT_MILLIS);
            Thread.sleep(200);
            List<Message> got = recorder.messages();
            assertThat(got).extracting(m -> m.topic() + "#" + m.seq())
                    .containsExactlyInAnyOrder("/API/PAT/A#1", "/API/PAT/A#2", "/API/PAT/B#1", "/API/PAT/NEW#1", "/API/PAT/A#3");
            assertThat(recorder.violations()).isEmpty();
        }
        Recorder deep = new Recorder();
        try (Subscription sub = client.subscribe("/API/**", Replay.last(1), deep)) {
            deep.await(list -> list.stream().anyMatch(m -> m.topic().equals("/API/OTHER/C")), WAIT_MILLIS, "/API/OTHER/C");
            assertThat(deep.messages()).filteredOn(m -> m.topic().equals("/API/OTHER/C"))
                    .extracting(Message::seq).containsExactly(2L);
        }
    }

    @Test
    void closeUnsubscribesSoNoMoreMessagesArrive() throws Exception {
        Recorder recorder = new Recorder();
        Subscription sub = client.subscribe("/API/UNSUB", Replay.none(), recorder);
        post("/API/UNSUB", "{\"i\":1}");
        recorder.awaitCount(1, WAIT_MILLIS);
        sub.close();
        sub.close(); // idempotent
        double deliveriesBefore = metric("backplane_deliveries_total");
        post("/API/UNSUB", "{\"i\":2}");
        Thread.sleep(300);
        assertThat(recorder.count()).isEqualTo(1);
        // No subscription of this class is open now, so the node hands the post to no one.
        assertThat(metric("backplane_deliveries_total")).as("deliveries by the node").isEqualTo(deliveriesBefore);
    }

    @Test
    void errorsReachTheCallerWithTheirCode() {
        assertThatThrownBy(() -> client.subscribe("/API/bad topic", Replay.none(), m -> { }))
                .isInstanceOf(BackplaneException.class)
                .satisfies(e -> assertThat(((BackplaneException) e).code()).isEqualTo("bad-topic"));
        assertThatThrownBy(() -> client.subscribe("/API/X", Replay.last(2_000_000), m -> { }))
                .isInstanceOf(BackplaneException.class)
                .satisfies(e -> assertThat(((BackplaneException) e).code()).isEqualTo("bad-request"));
        assertCode(client.post("/API/../X", "{}"), "bad-topic");
        assertCode(client.post("/API/X", "{not json"), "bad-request");
        assertCode(client.post("relative/topic", new byte[] {1}, "application/octet-stream"), "bad-topic");
        assertCode(client.post("/API/X", "not json", "application/json"), "bad-request");
        assertThatThrownBy(() -> Replay.fromSeq(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClientOptions.builder().maxInFlightPosts(0).build())
                .hasMessageContaining("maxInFlightPosts");
    }

    @Test
    void aPostAfterReceivingIsCausallyAfterIt() throws Exception {
        // On one subscription covering both topics, the reply posted from the handler arrives after
        // the message that caused it (CONTRACT.md §6.2), and the client's causal context records m.
        Recorder recorder = new Recorder();
        MessageHandler replier = m -> {
            recorder.onMessage(m);
            if (m.topic().equals("/API/CAUSAL/ASK")) {
                client.post("/API/CAUSAL/ANSWER", "{\"to\":" + m.seq() + "}");
            }
        };
        try (Subscription sub = client.subscribe("/API/CAUSAL/*", Replay.none(), replier)) {
            for (int i = 0; i < 20; i++) {
                post("/API/CAUSAL/ASK", "{\"q\":" + i + "}");
            }
            recorder.awaitCount(40, WAIT_MILLIS);
            List<Message> got = recorder.messages();
            for (int i = 0; i < got.size(); i++) {
                Message m = got.get(i);
                if (m.topic().equals("/API/CAUSAL/ANSWER")) {
                    long cause = m.payloadAsJson().get("to").asLong();
                    assertThat(got.subList(0, i)).anyMatch(c -> c.topic().equals("/API/CAUSAL/ASK") && c.seq() == cause);
                }
            }
            assertThat(client.causalContext()).containsEntry("/API/CAUSAL/ASK", 20L);
        }
    }

    private static void assertCode(CompletableFuture<Posted> future, String code) {
        assertThatThrownBy(() -> future.get(WAIT_MILLIS, TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(BackplaneException.class)
                .satisfies(e -> assertThat(((BackplaneException) e).code()).isEqualTo(code));
    }

    private static double metric(String name) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(node.uri() + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        for (String line : response.body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }
}
