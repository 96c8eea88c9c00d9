package io.backplane.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The SDK against a node that dies: SIGKILLed mid-stream and restarted on the same port and data
 * directory, a node listed first that is down, and a handler so slow the node drops it as a slow
 * consumer. In every case the handler sees consecutive seqs and a post is applied exactly once.
 */
@SuppressWarnings("try") // subscriptions held open by try-with-resources only for their lifetime
class ReconnectTest {
    private static final long WAIT_MILLIS = 30_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ClientOptions fastRetry(List<BackplaneException> errors) {
        return ClientOptions.builder()
                .backoffInitial(Duration.ofMillis(200))
                .backoffMax(Duration.ofMillis(800))
                .connectTimeout(Duration.ofSeconds(2))
                .errorListener(errors::add)
                .build();
    }

    @Test
    void handlerSeesConsecutiveSeqsWhenTheNodeIsKilledAndRestartedMidStream() throws Exception {
        List<BackplaneException> errors = new CopyOnWriteArrayList<>();
        try (NodeProcess node = NodeProcess.start("kill");
             BackplaneClient subscriber = BackplaneClient.connect(List.of(node.uri()), fastRetry(errors));
             BackplaneClient publisher = BackplaneClient.connect(List.of(node.uri()), fastRetry(errors));
             BackplaneClient replaying = BackplaneClient.connect(List.of(node.uri()), ClientOptions.builder()
                     .backoffInitial(Duration.ofMillis(200)).backoffMax(Duration.ofMillis(800))
                     .maxResumeTopics(0).errorListener(errors::add).build())) {
            Recorder exact = new Recorder();
            Recorder livePattern = new Recorder();
            Recorder fullPattern = new Recorder();
            Subscription exactSub = subscriber.subscribe("/KILL/A", Replay.fromSeq(1), exact);
            Subscription liveSub = subscriber.subscribe("/KILL/*", Replay.none(), livePattern);
            Subscription fullSub = subscriber.subscribe("/KILL/**", Replay.fromSeq(1), fullPattern);
            // maxResumeTopics 0: this pattern resumes by replaying from seq 1, filtered by its cursors.
            Recorder filteredPattern = new Recorder();
            Subscription filteredSub = replaying.subscribe("/KILL/*", Replay.none(), filteredPattern);

            Stream stream = new Stream(publisher, List.of("/KILL/A", "/KILL/B"));
            stream.start();
            exact.awaitCount(300, WAIT_MILLIS);

            node.kill();
            node.restart();
            // A topic created while the subscribers are still reconnecting (their backoff has grown).
            restPost(node.uri(), "/KILL/C", "{\"c\":1}");
            long before = exact.count();
            exact.awaitCount((int) before + 300, WAIT_MILLIS);
            restPost(node.uri(), "/KILL/C", "{\"c\":2}");
            Map<String, Long> acked = stream.stop();

            for (String topic : List.of("/KILL/A", "/KILL/B")) {
                long last = acked.get(topic);
                fullPattern.awaitLastSeq(topic, last, WAIT_MILLIS);
                livePattern.awaitLastSeq(topic, last, WAIT_MILLIS);
                filteredPattern.awaitLastSeq(topic, last, WAIT_MILLIS);
            }
            exact.awaitLastSeq("/KILL/A", acked.get("/KILL/A"), WAIT_MILLIS);
            fullPattern.awaitLastSeq("/KILL/C", 2, WAIT_MILLIS);
            livePattern.awaitLastSeq("/KILL/C", 2, WAIT_MILLIS);
            filteredPattern.awaitLastSeq("/KILL/C", 2, WAIT_MILLIS);

            assertThat(exact.violations()).isEmpty();
            assertThat(livePattern.violations()).isEmpty();
            assertThat(fullPattern.violations()).isEmpty();
            assertThat(filteredPattern.violations()).isEmpty();
            assertThat(filteredPattern.messages()).filteredOn(m -> m.topic().equals("/KILL/C"))
                    .extracting(Message::seq).containsExactly(1L, 2L);
            assertThat(filteredSub.reconnectCount()).isGreaterThanOrEqualTo(1);
            assertThat(exact.messages()).extracting(Message::seq).first().isEqualTo(1L);
            assertThat(exact.count()).isEqualTo(acked.get("/KILL/A").intValue());
            assertThat(fullPattern.count()).isEqualTo((int) (acked.get("/KILL/A") + acked.get("/KILL/B") + 2));
            assertThat(livePattern.messages()).filteredOn(m -> m.topic().equals("/KILL/C"))
                    .extracting(Message::seq).containsExactly(1L, 2L);
            assertThat(exactSub.reconnectCount()).isGreaterThanOrEqualTo(1);
            assertThat(liveSub.reconnectCount()).isGreaterThanOrEqualTo(1);
            assertThat(fullSub.reconnectCount()).isGreaterThanOrEqualTo(1);
            assertThat(errors).extracting(BackplaneException::code).doesNotContain("gap", "handler-failed");
            assertThat(stream.failures()).isEmpty();
        }
    }

    @Test
    void patternResumesTopicsCreatedWhileDisconnectedFromTheirFirstSeq() throws Exception {
        // While the client cannot reach the node (it runs on a port the client does not know), /NEW/A
        // gets one more message and /NEW/B is created. Back on the known port, the live-only pattern
        // resumes A after the seq it handed over and starts B at seq 1.
        List<BackplaneException> errors = new CopyOnWriteArrayList<>();
        int hiddenPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            hiddenPort = probe.getLocalPort();
        }
        try (NodeProcess node = NodeProcess.start("created");
             BackplaneClient client = BackplaneClient.connect(List.of(node.uri()), fastRetry(errors))) {
            int knownPort = node.httpPort();
            Recorder recorder = new Recorder();
            try (Subscription sub = client.subscribe("/NEW/*", Replay.none(), recorder)) {
                client.post("/NEW/A", "{\"a\":1}").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                client.post("/NEW/A", "{\"a\":2}").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                recorder.awaitCount(2, WAIT_MILLIS);

                node.kill();
                node.restartOnPort(hiddenPort);
                URI hidden = URI.create("http://127.0.0.1:" + hiddenPort);
                restPost(hidden, "/NEW/A", "{\"a\":3}");
                restPost(hidden, "/NEW/B", "{\"b\":1}");
                restPost(hidden, "/NEW/B", "{\"b\":2}");
                node.stop();
                node.restartOnPort(knownPort);
                restPost(node.uri(), "/NEW/B", "{\"b\":3}");

                recorder.awaitLastSeq("/NEW/A", 3, WAIT_MILLIS);
                recorder.awaitLastSeq("/NEW/B", 3, WAIT_MILLIS);
                assertThat(recorder.messages()).extracting(m -> m.topic() + "#" + m.seq())
                        .containsExactlyInAnyOrder("/NEW/A#1", "/NEW/A#2", "/NEW/A#3", "/NEW/B#1", "/NEW/B#2", "/NEW/B#3");
                assertThat(recorder.violations()).isEmpty();
                assertThat(sub.reconnectCount()).isGreaterThanOrEqualTo(1);
            }
        }
    }

    @Test
    void postsRetriedAcrossARestartAreAppliedOnce() throws Exception {
        List<BackplaneException> errors = new CopyOnWriteArrayList<>();
        ClientOptions restOptions = ClientOptions.builder()
                .backoffInitial(Duration.ofMillis(100)).backoffMax(Duration.ofMillis(500))
                .postTransport(ClientOptions.PostTransport.REST).build();
        int posts = 300;
        try (NodeProcess node = NodeProcess.start("once");
             BackplaneClient ws = BackplaneClient.connect(List.of(node.uri()), fastRetry(errors));
             BackplaneClient rest = BackplaneClient.connect(List.of(node.uri()), restOptions)) {
            List<CompletableFuture<Posted>> wsPosts = new ArrayList<>();
            List<CompletableFuture<Posted>> restPosts = new ArrayList<>();
            for (int i = 0; i < posts; i++) {
                if (i == posts / 3) {
                    node.kill(); // posts in flight now have an unknown outcome; the retries resolve it
                    node.restart();
                }
                wsPosts.add(ws.post("/ONCE/WS", "{\"i\":" + i + "}"));
                restPosts.add(rest.post("/ONCE/REST", "{\"i\":" + i + "}"));
                Thread.sleep(2);
            }
            CompletableFuture.allOf(wsPosts.toArray(CompletableFuture[]::new)).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            CompletableFuture.allOf(restPosts.toArray(CompletableFuture[]::new)).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);

            for (String topic : List.of("/ONCE/WS", "/ONCE/REST")) {
                JsonNode history = restGet(node.uri(), "/api/v1/topics" + topic + "/messages?fromSeq=1&limit=10000");
                Set<Long> seqs = new TreeSet<>();
                List<Integer> values = new ArrayList<>();
                for (JsonNode m : history.get("messages")) {
                    seqs.add(m.get("seq").asLong());
                    values.add(m.get("payload").get("i").asInt());
                }
                assertThat(values).as(topic + ": every post applied exactly once").hasSize(posts).doesNotHaveDuplicates();
                assertThat(seqs).hasSize(posts).first().isEqualTo(1L);
            }
            Set<Long> wsSeqs = new TreeSet<>();
            for (CompletableFuture<Posted> p : wsPosts) {
                wsSeqs.add(p.join().seq());
            }
            assertThat(wsSeqs).as("each acknowledgement names its own message").hasSize(posts);
        }
    }

    @Test
    void connectsToTheNextListedNodeWhenTheFirstIsDown() throws Exception {
        int deadPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            deadPort = probe.getLocalPort();
        }
        try (NodeProcess node = NodeProcess.start("next");
             BackplaneClient client = BackplaneClient.connect(
                     List.of(URI.create("http://127.0.0.1:" + deadPort), node.uri()), fastRetry(new ArrayList<>()))) {
            Recorder recorder = new Recorder();
            try (Subscription sub = client.subscribe("/NEXT/A", Replay.fromSeq(1), recorder)) {
                Posted posted = client.post("/NEXT/A", "{\"x\":1}").get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                assertThat(posted.seq()).isEqualTo(1);
                recorder.awaitCount(1, WAIT_MILLIS);
            }
        }
    }

    @Test
    void aSlowHandlerHoldsBackOnlyItsOwnSubscriptionAndTheClientBuffersBoundedly() throws Exception {
        // A blocked handler stops its subscription's socket being read (8 frames queued at most), so
        // the client's heap does not grow with what is posted, while a second subscription of the same
        // client keeps up. If the node drops the held-back socket as a slow consumer, the SDK resumes
        // it by fromSeq; either way the blocked handler then gets every seq, in order, once.
        List<BackplaneException> errors = new CopyOnWriteArrayList<>();
        ClientOptions options = ClientOptions.builder().subscriptionQueueFrames(8)
                .backoffInitial(Duration.ofMillis(50)).errorListener(errors::add).build();
        String pad = "x".repeat(64 * 1024);
        int posts = 600; // 39 MB
        try (NodeProcess node = NodeProcess.start("slow");
             BackplaneClient client = BackplaneClient.connect(List.of(node.uri()), options)) {
            CountDownLatch release = new CountDownLatch(1);
            Recorder slow = new Recorder(false);
            MessageHandler blocked = m -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                slow.onMessage(m);
            };
            Recorder fast = new Recorder(false);
            try (Subscription slowSub = client.subscribe("/SLOW/A", Replay.none(), blocked);
                 Subscription fastSub = client.subscribe("/SLOW/A", Replay.none(), fast)) {
                Semaphore window = new Semaphore(32);
                for (int i = 0; i < posts; i++) {
                    window.acquire();
                    client.post("/SLOW/A", "{\"pad\":\"" + pad + "\"}").whenComplete((p, e) -> window.release());
                }
                window.acquire(32);
                fast.awaitLastSeq("/SLOW/A", posts, WAIT_MILLIS);
                System.gc();
                long heapBytes = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                assertThat(heapBytes).as("client heap with %s MB posted to a blocked subscription", posts * 64 / 1024)
                        .isLessThan(30L * 1024 * 1024);
                assertThat(slowSub.deliveredCount()).isLessThanOrEqualTo(1);

                release.countDown();
                slow.awaitLastSeq("/SLOW/A", posts, 60_000);
                assertThat(slow.violations()).isEmpty();
                assertThat(slow.count()).isEqualTo(posts);
                assertThat(fast.violations()).isEmpty();
                assertThat(fastSub.reconnectCount()).isZero();
                if (errors.stream().anyMatch(e -> e.code().equals("slow-consumer"))) {
                    assertThat(slowSub.reconnectCount()).isGreaterThanOrEqualTo(1);
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Posts round-robin to topics with up to 64 posts in flight, recording acknowledged seqs. */
    private static final class Stream {
        private final BackplaneClient client;
        private final List<String> topics;
        private final Map<String, Long> maxAcked = new ConcurrentHashMap<>();
        private final List<Throwable> failures = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Semaphore window = new Semaphore(64);
        private Thread thread;

        Stream(BackplaneClient client, List<String> topics) {
            this.client = client;
            this.topics = topics;
        }

        void start() {
            thread = new Thread(() -> {
                int i = 0;
                while (running.get()) {
                    try {
                        window.acquire();
                        String topic = topics.get(i % topics.size());
                        client.post(topic, "{\"i\":" + i++ + "}").whenComplete((p, e) -> {
                            if (e != null) {
                                failures.add(e);
                            } else {
                                maxAcked.merge(topic, p.seq(), Math::max);
                            }
                            window.release();
                        });
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "stream");
            thread.start();
        }

        Map<String, Long> stop() throws InterruptedException {
            running.set(false);
            thread.join(WAIT_MILLIS);
            if (!window.tryAcquire(64, WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("posts still unacknowledged after " + WAIT_MILLIS + " ms");
            }
            return Map.copyOf(maxAcked);
        }

        List<Throwable> failures() {
            return failures;
        }
    }

    private static void restPost(URI node, String topic, String json) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node + "/api/v1/topics" + topic))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    }

    private static JsonNode restGet(URI node, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
