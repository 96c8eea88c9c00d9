package io.backplane.systest;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * One publisher: posts, one at a time, to the run's topics in turn over REST, each with its own
 * {@code Idempotency-Key}, spreading posts over the nodes. When an attempt fails — no answer within {@link #ATTEMPT_TIMEOUT}, a refused
 * connection, 503, 429 or 5xx — it retries the SAME key on the next node, until
 * {@link #KEY_DEADLINE}; then it records the key as abandoned. Every answer goes into the trace with the
 * node it came from and when, so the checker can hold each node to what it said.
 */
public final class Publisher implements Runnable {
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration KEY_DEADLINE = Duration.ofSeconds(60);
    static final long BACKOFF_MIN_MILLIS = 20;
    static final long BACKOFF_MAX_MILLIS = 500;

    private final String name;
    private final List<String> topics;
    private final List<NodeProcess> nodes;
    private final Trace trace;
    private final long pauseBetweenPostsMillis;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(NodeApi.CONNECT_TIMEOUT).build();
    private volatile boolean stopping;
    private final int home;
    private int nodeIndex;
    private long posted;
    private long retries;

    /**
     * {@code home} is the index of the node its first post goes to; each later post starts on the next
     * node, and each retry moves on to the node after the one that failed.
     */
    public Publisher(String name, List<String> topics, List<NodeProcess> nodes, int home, Trace trace, int postsPerSecond) {
        this.name = name;
        this.topics = List.copyOf(topics);
        this.nodes = List.copyOf(nodes);
        this.home = home;
        this.nodeIndex = home % nodes.size();
        this.trace = trace;
        this.pauseBetweenPostsMillis = postsPerSecond <= 0 ? 0 : 1000L / postsPerSecond;
    }

    public String name() {
        return name;
    }

    /** Asks the loop to stop after the key in flight is resolved. */
    public void stop() {
        stopping = true;
    }

    public synchronized long retries() {
        return retries;
    }

    @Override
    public void run() {
        try {
            while (!stopping) {
                String topic = topics.get((int) (posted % topics.size()));
                String key = name + "-" + posted;
                // Each new post starts on the next node, so every node takes posts (and forwards them).
                nodeIndex = (int) ((home + posted) % nodes.size());
                postUntilResolved(topic, key);
                posted++;
                Thread.sleep(pauseBetweenPostsMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void postUntilResolved(String topic, String key) throws InterruptedException {
        String body = "{\"key\":\"" + key + "\",\"publisher\":\"" + name + "\"}";
        long deadline = trace.nowNanos() + KEY_DEADLINE.toNanos();
        long backoffMillis = BACKOFF_MIN_MILLIS;
        for (int attempt = 1; ; attempt++) {
            NodeProcess node = nodes.get(nodeIndex);
            Trace.Answer answer = attempt(node, topic, key, body);
            trace.answer(answer);
            if (answer.acknowledged() || answer.definiteRefusal()) {
                return;
            }
            if (trace.nowNanos() > deadline) {
                trace.abandoned(new Trace.Abandoned(name, key, topic, attempt, trace.nowNanos()));
                return;
            }
            synchronized (this) {
                retries++;
            }
            nodeIndex = (nodeIndex + 1) % nodes.size();
            Thread.sleep(backoffMillis);
            backoffMillis = Math.min(BACKOFF_MAX_MILLIS, backoffMillis * 2);
        }
    }

    private Trace.Answer attempt(NodeProcess node, String topic, String key, String body) throws InterruptedException {
        URI uri = node.httpUri().resolve("/api/v1/topics" + NodeApi.encodePath(topic));
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(ATTEMPT_TIMEOUT)
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long sent = trace.nowNanos();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            long answered = trace.nowNanos();
            JsonNode json = parse(r.body());
            if (r.statusCode() == 200 || r.statusCode() == 201) {
                return new Trace.Answer(name, key, topic, node.id(), sent, answered, r.statusCode(),
                        json.path("seq").asLong(-1), json.path("id").asText(null), null);
            }
            return new Trace.Answer(name, key, topic, node.id(), sent, answered, r.statusCode(), -1, null,
                    json.path("error").asText(r.body().length() > 200 ? r.body().substring(0, 200) : r.body()));
        } catch (IOException e) {
            return new Trace.Answer(name, key, topic, node.id(), sent, trace.nowNanos(), Trace.NO_ANSWER, -1, null,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static JsonNode parse(String body) {
        try {
            return NodeApi.JSON.readTree(body);
        } catch (IOException e) {
            return NodeApi.JSON.missingNode();
        }
    }
}
