package io.backplane.node.http;

import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreException;
import io.backplane.history.TopicInfo;
import io.backplane.node.config.NodeConfig;
import io.backplane.node.metrics.NodeMetrics;
import io.backplane.node.topic.BadPayloadException;
import io.backplane.node.topic.InvalidTopicException;
import io.backplane.node.topic.Payload;
import io.backplane.node.topic.PostResult;
import io.backplane.node.topic.ServiceUnavailableException;
import io.backplane.node.topic.TooManyRequestsException;
import io.backplane.node.topic.TopicName;
import io.backplane.node.topic.TopicService;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API of CONTRACT.md §4 and the websocket upgrade of §5. Handlers validate on the event loop
 * and never block it: posts go to the topic service, history reads run on Vert.x worker threads.
 * Every failure leaves as {@code {"error","message"}} JSON; no stack trace ever reaches a client.
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    private static final String TOPICS_PREFIX = "/api/v1/topics/";
    private static final String JSON = "application/json";

    private final Vertx vertx;
    private final NodeConfig config;
    private final TopicService topics;
    private final HistoryStore store;
    private final NodeMetrics metrics;
    /** Spools posts to other LANs; null in unit tests that build the API without one. */
    private final io.backplane.node.wan.WanService wan;
    /** The LAN view as JSON for /api/v1/cluster when clustered; null on a single node. */
    private final java.util.function.Supplier<String> clusterView;

    public HttpApi(Vertx vertx, NodeConfig config, TopicService topics, HistoryStore store, NodeMetrics metrics) {
        this(vertx, config, topics, store, metrics, null);
    }

    public HttpApi(Vertx vertx, NodeConfig config, TopicService topics, HistoryStore store, NodeMetrics metrics,
                   java.util.function.Supplier<String> clusterView) {
        this(vertx, config, topics, store, metrics, clusterView, null);
    }

    public HttpApi(Vertx vertx, NodeConfig config, TopicService topics, HistoryStore store, NodeMetrics metrics,
                   java.util.function.Supplier<String> clusterView, io.backplane.node.wan.WanService wan) {
        this.wan = wan;
        this.clusterView = clusterView;
        this.vertx = vertx;
        this.config = config;
        this.topics = topics;
        this.store = store;
        this.metrics = metrics;
    }

    /** Version, admin endpoints and the drain gate (null: none, e.g. a bare API in a test). */
    private OpsRoutes ops;

    /** Adds the operations endpoints (OpsRoutes); call before the first {@link #router()}. */
    public HttpApi withOps(OpsRoutes ops) {
        this.ops = ops;
        return this;
    }

    /** One router per HTTP server instance (each instance runs on its own event loop). */
    public Router router() {
        Router router = Router.router(vertx);
        if (ops != null) {
            ops.mount(router); // first: its drain gate sees every request
        }
        router.route("/api/v1/ws").handler(this::upgrade);
        router.get("/health").handler(this::health);
        router.get("/metrics").handler(this::metrics);
        router.get("/api/v1/cluster").handler(this::cluster);
        router.get("/api/v1/wan/links").handler(ctx -> json(ctx.response(), 200, wan == null ? "{\"links\":[]}" : wan.linksJson()));
        router.get("/api/v1/topics").handler(this::listTopics);
        if (clusterView != null) {
            // Node to node: a joining replica pulls the history suffix it lacks (docs/WIRE.md).
            router.get("/internal/v1/transfer").handler(this::transfer);
        }
        router.getWithRegex("/api/v1/topics/.+/messages").handler(this::messages);
        router.postWithRegex("/api/v1/topics/.+")
                .handler(BodyHandler.create(false).setBodyLimit(config.limits().maxPayloadBytes()))
                .handler(this::post);
        ConsoleRoutes.mount(router);
        router.errorHandler(400, ctx -> error(ctx.response(), 400, "bad-request", "the request is malformed"));
        router.errorHandler(404, ctx -> error(ctx.response(), 404, "not-found", "no such resource: " + ctx.request().path()));
        router.errorHandler(405, ctx -> error(ctx.response(), 405, "method-not-allowed",
                ctx.request().method() + " is not supported on " + ctx.request().path()));
        router.errorHandler(413, ctx -> error(ctx.response(), 413, "payload-too-large",
                "the body is larger than the " + config.limits().maxPayloadBytes() + "-byte limit"));
        router.errorHandler(500, ctx -> {
            log.error("unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
            error(ctx.response(), 500, "internal", "the node failed to handle this request");
        });
        return router;
    }

    // ---------------------------------------------------------------- websocket

    private void upgrade(RoutingContext ctx) {
        String upgrade = ctx.request().getHeader("Upgrade");
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            error(ctx.response(), 400, "bad-request", "this endpoint only accepts websocket upgrades");
            return;
        }
        ctx.request().toWebSocket().onSuccess(ws ->
                new WsConnection(ws, vertx.getOrCreateContext(), topics, config.limits(), config.lan(), metrics, wan,
                        ops == null ? null : ops.drain()).start())
                .onFailure(e -> {
                    if (!ctx.response().ended()) {
                        error(ctx.response(), 400, "bad-request", "websocket upgrade failed: " + e.getMessage());
                    }
                });
    }

    // ---------------------------------------------------------------- REST

    private void post(RoutingContext ctx) {
        String raw = ctx.request().path().substring(TOPICS_PREFIX.length() - 1);
        TopicName.Qualified topic;
        try {
            topic = TopicName.parseTopic(decode(raw));
        } catch (InvalidTopicException e) {
            error(ctx.response(), 400, "bad-topic", e.getMessage());
            return;
        }
        if (topic.isRemote(config.lan()) && wan == null) {
            error(ctx.response(), 503, "unavailable", "posts to LAN " + topic.lan()
                    + " need a WAN spool, which this node does not have");
            return;
        }
        String key = ctx.request().getHeader("Idempotency-Key");
        String keyProblem = checkIdempotencyKey(key);
        if (keyProblem != null) {
            error(ctx.response(), 400, "bad-request", keyProblem);
            return;
        }
        Buffer body = ctx.body().buffer();
        Payload payload;
        try {
            payload = Payload.fromBody(ctx.request().getHeader("Content-Type"), body == null ? new byte[0] : body.getBytes());
        } catch (BadPayloadException e) {
            error(ctx.response(), 400, "bad-request", e.getMessage());
            return;
        }
        HttpServerResponse response = ctx.response();
        io.vertx.core.Context context = vertx.getOrCreateContext();
        boolean remote = topic.isRemote(config.lan());
        (remote ? wan.spool(topic.lan(), topic.path(), payload, key) : topics.post(topic.path(), payload, key))
                .whenComplete((result, failure) -> context.runOnContext(v -> {
            if (failure == null && remote) {
                // 202 spooled (200 for a retry with the same key), CONTRACT.md §4
                if (!response.closed()) {
                    response.setStatusCode(result.duplicate() ? 200 : 202).putHeader("Content-Type", JSON)
                            .end(Buffer.buffer(result.ackJson()));
                }
            } else if (failure == null) {
                respondPosted(response, result);
            } else {
                ApiError api = ApiError.of(failure);
                api.send(response);
            }
        }));
    }

    private static void respondPosted(HttpServerResponse response, PostResult result) {
        if (response.closed()) {
            return;
        }
        response.setStatusCode(result.duplicate() ? 200 : 201)
                .putHeader("Content-Type", JSON)
                .end(Buffer.buffer(result.ackJson()));
    }

    private void listTopics(RoutingContext ctx) {
        String prefix = ctx.request().getParam("prefix");
        if (prefix != null && !prefix.isEmpty() && !prefix.startsWith("/")) {
            error(ctx.response(), 400, "bad-request", "prefix must start with '/'");
            return;
        }
        String effective = prefix == null || prefix.isEmpty() ? "/" : prefix;
        if (refusedWhileNotServing(ctx)) {
            return;
        }
        blocking(ctx, () -> {
            List<TopicInfo> infos = store.topics(effective);
            StringBuilder out = new StringBuilder(64 + infos.size() * 80).append("{\"topics\":[");
            boolean first = true;
            for (TopicInfo info : infos) {
                if (!underPrefix(info.topic(), effective)) {
                    continue;
                }
                long visible = Math.min(info.lastSeq(), topics.visibleThrough(info.topic()));
                if (visible < info.firstSeq()) {
                    continue; // nothing of it committed yet
                }
                out.append(first ? "" : ",").append("{\"topic\":\"").append(info.topic())
                        .append("\",\"firstSeq\":").append(info.firstSeq())
                        .append(",\"lastSeq\":").append(visible)
                        .append(",\"count\":").append(info.count() - (info.lastSeq() - visible)).append('}');
                first = false;
            }
            return Buffer.buffer(out.append("]}").toString());
        });
    }

    /** Prefixes match whole segments: /A/B lists /A/B and /A/B/C, not /A/BC. */
    static boolean underPrefix(String topic, String prefix) {
        if (prefix.equals("/")) {
            return true;
        }
        String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        return topic.equals(p) || topic.startsWith(p + "/");
    }

    private void messages(RoutingContext ctx) {
        String path = ctx.request().path();
        String raw = path.substring(TOPICS_PREFIX.length() - 1, path.length() - "/messages".length());
        TopicName.Qualified topic;
        try {
            topic = TopicName.parseTopic(decode(raw));
        } catch (InvalidTopicException e) {
            error(ctx.response(), 400, "bad-topic", e.getMessage());
            return;
        }
        // A remote topic's history is this LAN's mirror of it, kept once anyone subscribed to it (or to a
        // pattern covering it) from here: the remote LAN's seqs and envelopes.
        boolean remote = topic.isRemote(config.lan());
        String shown = remote ? topic.path() + "@" + topic.lan() : topic.path();
        int maxLimit = config.limits().maxHistoryLimit();
        Long fromSeq;
        Long limit;
        Long last;
        try {
            fromSeq = longParam(ctx, "fromSeq", 1, Long.MAX_VALUE);
            limit = longParam(ctx, "limit", 1, maxLimit);
            last = longParam(ctx, "last", 1, maxLimit);
        } catch (IllegalArgumentException e) {
            error(ctx.response(), 400, "bad-request", e.getMessage());
            return;
        }
        if (last != null && (fromSeq != null || limit != null)) {
            error(ctx.response(), 400, "bad-request", "use either last, or fromSeq with limit");
            return;
        }
        String name = remote ? io.backplane.node.topic.MirrorNames.mirror(topic.lan(), topic.path()) : topic.path();
        if (refusedWhileNotServing(ctx)) {
            return;
        }
        blocking(ctx, () -> {
            Optional<TopicInfo> info = store.topic(name);
            // Clustered, a message is shown only once committed: one stored here alone may still be
            // replaced by the LAN's history (see Replicator).
            long visible = Math.min(info.map(TopicInfo::lastSeq).orElse(0L), topics.visibleThrough(name));
            if (info.isEmpty() || visible < info.get().firstSeq()) {
                throw new NotFound(remote ? "LAN " + config.lan() + " keeps no mirror of " + shown
                        + " yet (a subscription to it starts one)" : "topic " + name + " has no history on LAN " + config.lan());
            }
            List<HistoryRecord> records;
            long nextSeq;
            if (last != null) {
                long from = Math.max(info.get().firstSeq(), visible - last + 1);
                records = visibleOnly(store.readFrom(name, from, last.intValue()), visible);
                nextSeq = visible + 1;
            } else {
                long from = fromSeq == null ? 1 : fromSeq;
                records = visibleOnly(store.readFrom(name, from, limit == null ? 100 : limit.intValue()), visible);
                nextSeq = records.isEmpty() ? Math.min(visible + 1, Math.max(from, info.get().firstSeq()))
                        : records.get(records.size() - 1).seq() + 1;
            }
            Buffer out = Buffer.buffer(64 + records.size() * 200);
            out.appendString("{\"topic\":\"").appendString(shown).appendString("\",\"messages\":[");
            for (int i = 0; i < records.size(); i++) {
                if (i > 0) {
                    out.appendByte((byte) ',');
                }
                out.appendBytes(records.get(i).body());
            }
            return out.appendString("],\"nextSeq\":").appendString(Long.toString(nextSeq)).appendString("}");
        });
    }

    private static List<HistoryRecord> visibleOnly(List<HistoryRecord> records, long visible) {
        int n = records.size();
        while (n > 0 && records.get(n - 1).seq() > visible) {
            n--;
        }
        return n == records.size() ? records : records.subList(0, n);
    }

    /** Clustered and not serving (minority, catching up): 503 rather than stale or diverging data. */
    private boolean refusedWhileNotServing(RoutingContext ctx) {
        String reason = clusterView == null ? null : topics.unavailableReason();
        if (reason != null) {
            error(ctx.response(), 503, "unavailable", reason);
            return true;
        }
        return false;
    }

    /**
     * {@code GET /internal/v1/transfer?topic=T&fromSeq=A&toSeq=B&maxRecords=N}: records A..B of T from
     * this node's store, binary (CatchUp.encodeChunk), for a joining replica; from the first retained seq
     * when retention trimmed A (none when it trimmed all of A..B: CatchUp skips over them). Waits up to 10 s for
     * this node to have stored B: a cut may name messages settled by the last flush and still on their
     * way to the disk.
     */
    private void transfer(RoutingContext ctx) {
        String topicName = ctx.request().getParam("topic");
        Long from;
        Long to;
        Long max;
        try {
            from = longParam(ctx, "fromSeq", 1, Long.MAX_VALUE);
            to = longParam(ctx, "toSeq", 1, Long.MAX_VALUE);
            max = longParam(ctx, "maxRecords", 1, 65536);
        } catch (IllegalArgumentException e) {
            error(ctx.response(), 400, "bad-request", e.getMessage());
            return;
        }
        if (topicName == null || from == null || to == null || max == null || to < from) {
            error(ctx.response(), 400, "bad-request", "topic, fromSeq <= toSeq and maxRecords are required");
            return;
        }
        vertx.executeBlocking(() -> {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (store.topic(topicName).map(TopicInfo::lastSeq).orElse(0L) < to) {
                if (System.nanoTime() > deadline) {
                    throw new io.backplane.node.topic.ServiceUnavailableException(
                            "this node does not hold " + topicName + " up to " + to + " yet");
                }
                Thread.sleep(5);
            }
            io.backplane.history.TransferChunk chunk = store.readTransferChunk(topicName, from, to, max.intValue(), 8 << 20);
            return Buffer.buffer(io.backplane.node.cluster.CatchUp.encodeChunk(chunk.appends()));
        }, false).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().setStatusCode(200).putHeader("Content-Type", "application/octet-stream").end(ar.result());
            } else {
                ApiError.of(ar.cause()).send(ctx.response());
            }
        });
    }

    private static Long longParam(RoutingContext ctx, String name, long min, long max) {
        String value = ctx.request().getParam(name);
        if (value == null) {
            return null;
        }
        try {
            long parsed = Long.parseLong(value);
            if (parsed < min || parsed > max) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer from " + min + " to " + max + ", was '" + value + "'");
        }
    }

    private void cluster(RoutingContext ctx) {
        if (clusterView != null) {
            // the replication state is taken on the sequencer thread: wait for it off the event loop
            vertx.executeBlocking(clusterView::get, false).onComplete(ar -> {
                if (ar.succeeded()) {
                    json(ctx.response(), 200, ar.result());
                } else {
                    ApiError.of(ar.cause()).send(ctx.response());
                }
            });
            return;
        }
        String id = config.nodeId();
        json(ctx.response(), 200, "{\"lan\":\"" + config.lan() + "\",\"node\":\"" + id
                + "\",\"view\":{\"id\":1,\"members\":[\"" + id + "\"],\"coordinator\":\"" + id + "\"}}");
    }

    private void health(RoutingContext ctx) {
        String reason = topics.unavailableReason();
        if (reason == null) {
            json(ctx.response(), 200, "{\"status\":\"UP\"}");
        } else {
            json(ctx.response(), 503, "{\"status\":\"DOWN\",\"reason\":" + new String(Payload.jsonString(reason), StandardCharsets.UTF_8) + "}");
        }
    }

    private void metrics(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape());
    }

    // ---------------------------------------------------------------- helpers

    /** Runs a store read on a worker thread and answers 200 with its JSON, or the mapped error. */
    private void blocking(RoutingContext ctx, java.util.concurrent.Callable<Buffer> read) {
        vertx.executeBlocking(read, false).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response().setStatusCode(200).putHeader("Content-Type", JSON).end(ar.result());
            } else {
                ApiError.of(ar.cause()).send(ctx.response());
            }
        });
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidTopicException("topic has a malformed %-escape");
        }
    }

    /** Null when the key is acceptable (or absent), else why not. */
    static String checkIdempotencyKey(String key) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > 256) {
            return "Idempotency-Key must be 1 to 256 characters";
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return "Idempotency-Key must be printable ASCII without spaces";
            }
        }
        return null;
    }

    static void json(HttpServerResponse response, int status, String body) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader("Content-Type", JSON).end(body);
    }

    static void error(HttpServerResponse response, int status, String code, String message) {
        json(response, status, "{\"error\":\"" + code + "\",\"message\":"
                + new String(Payload.jsonString(message), StandardCharsets.UTF_8) + "}");
    }

    /** A 404 raised inside a blocking read. */
    static final class NotFound extends RuntimeException {
        NotFound(String message) {
            super(message, null, false, false);
        }
    }

    /** Maps a failure to the contract's status, code and sentence. */
    record ApiError(int status, String code, String message) {
        static ApiError of(Throwable failure) {
            Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (t instanceof NotFound) {
                return new ApiError(404, "not-found", t.getMessage());
            }
            if (t instanceof ServiceUnavailableException) {
                return new ApiError(503, "unavailable", t.getMessage());
            }
            if (t instanceof TooManyRequestsException) {
                return new ApiError(429, "too-many-requests", t.getMessage());
            }
            if (t instanceof HistoryStoreException) {
                return new ApiError(503, "unavailable", "storage: " + t.getMessage());
            }
            log.error("unexpected failure", t);
            return new ApiError(500, "internal", "the node failed to handle this request");
        }

        void send(HttpServerResponse response) {
            if (status == 429) {
                response.putHeader("Retry-After", "1");
            }
            error(response, status, code, message);
        }
    }
}
