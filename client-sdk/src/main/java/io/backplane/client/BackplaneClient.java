package io.backplane.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A session with a Backplane LAN (CONTRACT.md §7): posts and subscriptions over the JDK's
 * {@code HttpClient}/{@code WebSocket}, to one of the listed nodes at a time.
 *
 * <pre>{@code
 * try (BackplaneClient client = BackplaneClient.connect(
 *         List.of(URI.create("http://127.0.0.1:8080"), URI.create("http://127.0.0.1:8081")))) {
 *     Subscription sub = client.subscribe("/GENEVA/QUOTES/*", Replay.fromSeq(1),
 *             (Message m) -> System.out.println(m.topic() + " " + m.seq() + " " + m.payloadAsString()));
 *     Posted posted = client.post("/GENEVA/QUOTES/IBM", "{\"bid\":101.5}").get();
 *     System.out.println(posted.seq());
 *     sub.close();
 * }
 * }</pre>
 *
 * <p><b>Nodes.</b> All connections of a client go to the same node; when one fails, the client moves
 * to the next listed node and every connection follows with exponential backoff
 * ({@link ClientOptions#backoffInitial()} to {@link ClientOptions#backoffMax()}).
 *
 * <p><b>Subscriptions</b> each have their own websocket and dispatcher thread. The handler sees, per
 * topic, consecutive seqs with no duplicate, across reconnects to any node (see
 * {@link #subscribe(String, Replay, MessageHandler)} for the resume rules and the one exception,
 * retention).
 *
 * <p><b>Backpressure.</b> A subscription reads its socket only while fewer than
 * {@link ClientOptions#subscriptionQueueFrames()} frames await its handler. A slow handler so holds
 * back only its own socket: the node's per-connection buffer fills and the node drops that
 * connection as a {@code slow-consumer}; the subscription then reconnects to the same node and
 * resumes from the last seq handed over. Nothing in the SDK buffers without a bound.
 *
 * <p><b>Posts</b> travel on the client's publishing websocket (or REST, see
 * {@link ClientOptions#postTransport()}); each has its own idempotency key and is retried — on another
 * node after a connection failure, after backoff on {@code 503}/{@code 429} — so a post is applied
 * once. Futures complete on the client's callback thread: do not block in their dependent stages.
 *
 * <p><b>Causal order</b> (CONTRACT.md §6.2): a post made after a handler of this client received m
 * is delivered after m to every subscriber that gets both on one subscription. This holds because
 * the client's sockets all talk to one node, which delivers only sequenced, durable messages and
 * sequences the post afterwards; {@link #causalContext()} is what a clustered node will need with the
 * post. Two separate {@link Subscription}s run on two threads, so their handlers are not ordered
 * relative to each other; subscribe with one pattern covering both topics to observe the order.
 */
public final class BackplaneClient implements AutoCloseable {
    private static final AtomicInteger CLIENTS = new AtomicInteger();

    private final Shared shared;
    private final ExecutorService io;
    private final ScheduledExecutorService timer;
    private final ExecutorService callbacks;
    private final WsPoster wsPoster;
    private final RestPoster restPoster;
    private final List<SubscriptionEngine> subscriptions = new ArrayList<>();
    private volatile boolean closed;

    private BackplaneClient(List<URI> nodes, ClientOptions options) {
        Objects.requireNonNull(options, "options");
        Nodes nodeList = new Nodes(nodes);
        int n = CLIENTS.incrementAndGet();
        this.io = Executors.newCachedThreadPool(daemon("backplane-io-" + n + "-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("backplane-timer-" + n + "-"));
        this.callbacks = Executors.newSingleThreadExecutor(daemon("backplane-callbacks-" + n + "-"));
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(options.connectTimeout())
                .executor(io)
                .build();
        this.shared = new Shared(http, nodeList, options, timer, callbacks,
                new Backoff(options.backoffInitial(), options.backoffMax()), new CausalContext());
        this.restPoster = new RestPoster(shared);
        this.wsPoster = options.postTransport() == ClientOptions.PostTransport.WEBSOCKET ? new WsPoster(shared) : null;
    }

    /**
     * A client for the LAN served by {@code nodes} (http:// or https:// base URIs), with
     * {@link ClientOptions#defaults()}. Connections are made on demand, so this does not fail when the
     * nodes are down; posts and subscriptions wait (bounded) for one to come up.
     */
    public static BackplaneClient connect(List<URI> nodes) {
        return new BackplaneClient(nodes, ClientOptions.defaults());
    }

    /** As {@link #connect(List)}, with the given timeouts, backoff and bounds. */
    public static BackplaneClient connect(List<URI> nodes, ClientOptions options) {
        return new BackplaneClient(nodes, options);
    }

    /**
     * Posts a JSON value (given as JSON text) to {@code topic} (may end in {@code @LAN}). The future
     * completes once the message is sequenced and durable, or fails with a {@link BackplaneException}:
     * {@code bad-request} for text that is not JSON, the node's code ({@code bad-topic},
     * {@code payload-too-large}, …), or {@code timeout} when no attempt was acknowledged in time.
     */
    public CompletableFuture<Posted> post(String topic, String json) {
        try {
            if (wsPoster != null) {
                return wsPoster.post(topic, FrameCodec.parseJsonPayload(json), null);
            }
            return restPoster.post(topic, json.getBytes(StandardCharsets.UTF_8), "application/json");
        } catch (BackplaneException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Posts a text body with a content type: a JSON content type needs JSON text, any other is stored
     * as text.
     */
    public CompletableFuture<Posted> post(String topic, String body, String contentType) {
        Objects.requireNonNull(contentType, "contentType");
        try {
            if (wsPoster != null) {
                return Message.isJsonType(contentType)
                        ? wsPoster.post(topic, FrameCodec.parseJsonPayload(body), contentType)
                        : wsPoster.post(topic, FrameCodec.JSON.getNodeFactory().textNode(body), contentType);
            }
            return restPoster.post(topic, body.getBytes(StandardCharsets.UTF_8), contentType);
        } catch (BackplaneException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Posts raw bytes with a content type, always over REST; bytes that are not UTF-8 reach
     * subscribers base64-encoded and {@link Message#payloadAsBytes()} gives them back.
     */
    public CompletableFuture<Posted> post(String topic, byte[] body, String contentType) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(contentType, "contentType");
        return restPoster.post(topic, body, contentType);
    }

    /**
     * Subscribes to a topic or pattern ({@code *} one segment, trailing {@code **} any number) and
     * waits until the node confirms ({@link ClientOptions#subscribeTimeout()}); fails with a
     * {@link BackplaneException} such as {@code bad-topic}.
     *
     * <p>The handler is called on the subscription's own thread, one message at a time, and sees per
     * topic consecutive seqs with no duplicate, also across reconnects: an exact topic resumes with
     * {@code fromSeq} = last seq handed over + 1; a pattern resumes each topic it has a position in
     * the same way, and starts topics it had none in (created while disconnected) from the original
     * replay's start, or from seq 1 for {@link Replay#none()} and {@link Replay#last(long)}. The one
     * possible gap is history the node no longer retains; it is reported to
     * {@link ClientOptions#errorListener()} with code {@code gap}.
     */
    public Subscription subscribe(String topicOrPattern, Replay replay, MessageHandler handler) {
        Objects.requireNonNull(topicOrPattern, "topicOrPattern");
        Objects.requireNonNull(replay, "replay");
        Objects.requireNonNull(handler, "handler");
        if (closed) {
            throw new BackplaneException("closed", "the client is closed");
        }
        SubscriptionEngine engine = new SubscriptionEngine(shared, topicOrPattern, replay, handler);
        engine.start();
        synchronized (subscriptions) {
            subscriptions.add(engine);
        }
        engine.onFinished(() -> {
            synchronized (subscriptions) {
                subscriptions.remove(engine);
            }
        });
        return engine;
    }

    /** Live messages only: {@code subscribe(topicOrPattern, Replay.none(), handler)}. */
    public Subscription subscribe(String topicOrPattern, MessageHandler handler) {
        return subscribe(topicOrPattern, Replay.none(), handler);
    }

    /**
     * The session's causal context: per topic, the highest seq handed to any handler of this client.
     * Informational on a single node (see the class comment); the hook for a clustered node.
     */
    public Map<String, Long> causalContext() {
        return shared.causal().snapshot();
    }

    /**
     * Closes every subscription, fails posts still awaiting acknowledgement with {@code closed}, and
     * releases the client's threads. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<SubscriptionEngine> toClose;
        synchronized (subscriptions) {
            toClose = new ArrayList<>(subscriptions);
            subscriptions.clear();
        }
        for (SubscriptionEngine engine : toClose) {
            engine.close();
        }
        if (wsPoster != null) {
            wsPoster.close();
        }
        restPoster.close();
        timer.shutdownNow();
        callbacks.shutdown();
        try {
            callbacks.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        io.shutdown();
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
