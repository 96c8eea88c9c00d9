package io.backplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Posts with {@code POST /api/v1/topics/{topic}} (CONTRACT.md §4) and an {@code Idempotency-Key} of
 * its own. A connection failure or {@code 503} moves to the next node and retries; {@code 429} retries
 * the same node; both honour {@code Retry-After} (seconds) and otherwise back off exponentially. Every
 * attempt carries the same key, so the post is applied once. Other answers fail the post.
 */
final class RestPoster {
    private final Shared shared;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closed;

    RestPoster(Shared shared) {
        this.shared = shared;
    }

    CompletableFuture<Posted> post(String topic, byte[] body, String contentType) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackplaneException("closed", "the client is closed"));
        }
        if (topic == null || !topic.startsWith("/")) {
            return CompletableFuture.failedFuture(new BackplaneException("bad-topic", "a topic is an absolute path such as /A/B, got " + topic));
        }
        if (inFlight.incrementAndGet() > shared.options().maxInFlightPosts()) {
            inFlight.decrementAndGet();
            return CompletableFuture.failedFuture(new BackplaneException("too-many-requests",
                    "too many posts are awaiting acknowledgement (maxInFlightPosts); retry shortly"));
        }
        CompletableFuture<Posted> result = new CompletableFuture<>();
        result.whenComplete((p, e) -> inFlight.decrementAndGet());
        long deadline = System.nanoTime() + shared.options().postTimeout().toNanos();
        String key = UUID.randomUUID().toString();
        attempt(new Attempt(topic, body, contentType, key, deadline, result), 0, null);
        return result;
    }

    void close() {
        closed = true;
    }

    private record Attempt(String topic, byte[] body, String contentType, String key, long deadlineNanos,
                           CompletableFuture<Posted> result) { }

    private void attempt(Attempt a, int attemptNo, BackplaneException previous) {
        if (closed) {
            fail(a, new BackplaneException("closed", "the client was closed before the post was acknowledged"));
            return;
        }
        long remainingNanos = a.deadlineNanos() - System.nanoTime();
        if (remainingNanos <= 0 || attemptNo >= shared.options().maxPostAttempts()) {
            fail(a, previous != null ? previous : new BackplaneException("timeout", "no acknowledgement in time"));
            return;
        }
        int node = shared.nodes().currentIndex();
        HttpRequest request;
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(shared.nodes().http(node) + "/api/v1/topics" + a.topic()))
                    .timeout(Duration.ofNanos(remainingNanos))
                    .header("Content-Type", a.contentType())
                    .header("Idempotency-Key", a.key())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(a.body()));
            if (shared.options().bearerToken() != null) {
                builder.header("Authorization", "Bearer " + shared.options().bearerToken());
            }
            request = builder.build();
        } catch (IllegalArgumentException e) {
            fail(a, new BackplaneException("bad-topic", "not a valid topic: " + a.topic()));
            return;
        }
        shared.http().sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
            if (error != null) {
                shared.nodes().failed(node);
                retry(a, attemptNo, -1, new BackplaneException("connection-failed", String.valueOf(rootCause(error)), error));
            } else {
                onResponse(a, attemptNo, node, response);
            }
        });
    }

    private void onResponse(Attempt a, int attemptNo, int node, HttpResponse<String> response) {
        int status = response.statusCode();
        JsonNode body;
        try {
            body = FrameCodec.JSON.readTree(response.body());
        } catch (IOException e) {
            body = FrameCodec.JSON.createObjectNode();
        }
        if (status == 200 || status == 201 || status == 202) {
            Posted posted = FrameCodec.posted(body);
            shared.callback(() -> a.result().complete(posted));
            return;
        }
        BackplaneException error = new BackplaneException(body.path("error").asText("http-" + status),
                body.path("message").asText("HTTP " + status));
        long retryAfterMillis = response.headers().firstValue("Retry-After").map(RestPoster::seconds).orElse(-1L);
        if (status == 503) {
            shared.nodes().failed(node);
            retry(a, attemptNo, retryAfterMillis, error);
        } else if (status == 429) {
            retry(a, attemptNo, retryAfterMillis, error);
        } else {
            fail(a, error);
        }
    }

    private void retry(Attempt a, int attemptNo, long retryAfterMillis, BackplaneException error) {
        long delay = retryAfterMillis >= 0 ? retryAfterMillis : shared.backoff().delayMillis(attemptNo);
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay) - a.deadlineNanos() > 0) {
            fail(a, error);
            return;
        }
        shared.timer().schedule(() -> attempt(a, attemptNo + 1, error), delay, TimeUnit.MILLISECONDS);
    }

    private void fail(Attempt a, BackplaneException error) {
        shared.callback(() -> a.result().completeExceptionally(error));
    }

    private static long seconds(String header) {
        try {
            return Math.max(0, Long.parseLong(header.trim())) * 1000;
        } catch (NumberFormatException e) {
            return -1; // an HTTP date: fall back to our own backoff
        }
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
