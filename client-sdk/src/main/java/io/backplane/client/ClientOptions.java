package io.backplane.client;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Every setting of a {@link BackplaneClient}, with its default and unit, validated in one place.
 * Build with {@link #builder()}; {@link #defaults()} is what {@link BackplaneClient#connect(java.util.List)}
 * uses.
 *
 * @param connectTimeout            TCP + websocket upgrade timeout per attempt (default 5 s)
 * @param postTimeout               a post's whole life, retries included, before it fails with
 *                                  {@code timeout} (default 30 s)
 * @param subscribeTimeout          how long {@code subscribe} waits for the node's {@code subscribed}
 *                                  answer, reconnects included (default 10 s)
 * @param backoffInitial            first reconnect / retry delay (default 50 ms); doubles per failure
 * @param backoffMax                cap of the reconnect / retry delay (default 2 s)
 * @param maxPostAttempts           sends of one post before it fails with the last error (default 20)
 * @param maxInFlightPosts          posts awaiting their acknowledgement; beyond, {@code post} fails at
 *                                  once with {@code too-many-requests} (default 10 000)
 * @param subscriptionQueueFrames   frames read from a subscription's websocket but not yet handled;
 *                                  at the bound the SDK stops reading that socket (default 1 024)
 * @param maxResumeTopics           a pattern subscription with more positioned topics than this resumes
 *                                  by one pattern replay from seq 1 (filtered) instead of one exact
 *                                  resubscription per topic (default 500; the node allows 1 000
 *                                  subscriptions per connection)
 * @param postTransport             how posts with a JSON or text body travel (default websocket);
 *                                  byte-array posts always use REST
 * @param bearerToken               sent as {@code Authorization: Bearer} on every request (default none)
 * @param errorListener             told of errors that have no caller to fail: a handler that threw, a
 *                                  subscription ended by the node, a reconnect (default: ignore)
 */
public record ClientOptions(Duration connectTimeout, Duration postTimeout, Duration subscribeTimeout,
                            Duration backoffInitial, Duration backoffMax, int maxPostAttempts,
                            int maxInFlightPosts, int subscriptionQueueFrames, int maxResumeTopics,
                            PostTransport postTransport, String bearerToken,
                            Consumer<BackplaneException> errorListener) {

    /** How a post travels to the node. */
    public enum PostTransport {
        /** The {@code post} op on the client's publishing websocket (one per client). */
        WEBSOCKET,
        /** {@code POST /api/v1/topics/{topic}} with an {@code Idempotency-Key} header. */
        REST
    }

    public ClientOptions {
        positive(connectTimeout, "connectTimeout");
        positive(postTimeout, "postTimeout");
        positive(subscribeTimeout, "subscribeTimeout");
        positive(backoffInitial, "backoffInitial");
        positive(backoffMax, "backoffMax");
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException("backoffMax (" + backoffMax + ") must be >= backoffInitial (" + backoffInitial + ")");
        }
        atLeast(maxPostAttempts, 1, "maxPostAttempts");
        atLeast(maxInFlightPosts, 1, "maxInFlightPosts");
        atLeast(subscriptionQueueFrames, 1, "subscriptionQueueFrames");
        atLeast(maxResumeTopics, 0, "maxResumeTopics");
        if (maxResumeTopics > 999) {
            throw new IllegalArgumentException("maxResumeTopics must be <= 999 (the node's subscription limit per connection), got " + maxResumeTopics);
        }
        Objects.requireNonNull(postTransport, "postTransport");
        Objects.requireNonNull(errorListener, "errorListener");
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }

    private static void atLeast(int value, int min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
        }
    }

    public static ClientOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A mutable builder of {@link ClientOptions}; starts from the defaults. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration postTimeout = Duration.ofSeconds(30);
        private Duration subscribeTimeout = Duration.ofSeconds(10);
        private Duration backoffInitial = Duration.ofMillis(50);
        private Duration backoffMax = Duration.ofSeconds(2);
        private int maxPostAttempts = 20;
        private int maxInFlightPosts = 10_000;
        private int subscriptionQueueFrames = 1024;
        private int maxResumeTopics = 500;
        private PostTransport postTransport = PostTransport.WEBSOCKET;
        private String bearerToken;
        private Consumer<BackplaneException> errorListener = e -> { };

        private Builder() {
        }

        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder postTimeout(Duration v) { postTimeout = v; return this; }
        public Builder subscribeTimeout(Duration v) { subscribeTimeout = v; return this; }
        public Builder backoffInitial(Duration v) { backoffInitial = v; return this; }
        public Builder backoffMax(Duration v) { backoffMax = v; return this; }
        public Builder maxPostAttempts(int v) { maxPostAttempts = v; return this; }
        public Builder maxInFlightPosts(int v) { maxInFlightPosts = v; return this; }
        public Builder subscriptionQueueFrames(int v) { subscriptionQueueFrames = v; return this; }
        public Builder maxResumeTopics(int v) { maxResumeTopics = v; return this; }
        public Builder postTransport(PostTransport v) { postTransport = v; return this; }
        public Builder bearerToken(String v) { bearerToken = v; return this; }
        public Builder errorListener(Consumer<BackplaneException> v) { errorListener = v; return this; }

        public ClientOptions build() {
            return new ClientOptions(connectTimeout, postTimeout, subscribeTimeout, backoffInitial, backoffMax,
                    maxPostAttempts, maxInFlightPosts, subscriptionQueueFrames, maxResumeTopics, postTransport,
                    bearerToken, errorListener);
        }
    }
}
