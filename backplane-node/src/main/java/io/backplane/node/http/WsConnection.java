package io.backplane.node.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backplane.node.config.Limits;
import io.backplane.node.metrics.NodeMetrics;
import io.backplane.node.topic.BadPayloadException;
import io.backplane.node.topic.Frames;
import io.backplane.node.topic.InvalidTopicException;
import io.backplane.node.topic.OutboundFrame;
import io.backplane.node.topic.Payload;
import io.backplane.node.topic.Replay;
import io.backplane.node.topic.SubscriberSink;
import io.backplane.node.topic.TopicName;
import io.backplane.node.topic.TopicService;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One websocket client (CONTRACT.md §5): parses its ops on the event loop, and is the
 * {@link SubscriberSink} the topic service writes to.
 *
 * <p><b>Outbound buffer.</b> Frames are queued by the topic service's thread and written by this
 * connection's event loop. The queue is bounded in bytes: when a live frame would pass the bound the
 * subscriber is slow, gets {@code slow-consumer} and is closed, so it can never hold back the
 * sequencer, publishers or other subscribers. Replay only queues while the buffer is under a
 * low-water mark and resumes when the event loop drains below it, so a long replay is flow
 * controlled instead of overflowing.
 */
final class WsConnection implements SubscriberSink {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerWebSocket ws;
    private final Context context;
    private final TopicService topics;
    private final Limits limits;
    private final String lan;
    private final NodeMetrics metrics;
    private final ConcurrentLinkedQueue<OutboundFrame> outbound = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final long lowWaterBytes;
    private volatile boolean replayWaiting;
    private volatile boolean closed;
    /** Null when the node has no drain (tests building a bare API). */
    private final Drain drain;

    /** Spools posts to other LANs; null when this node has none (such posts get an error frame). */
    private final io.backplane.node.wan.WanService wan;

    WsConnection(ServerWebSocket ws, Context context, TopicService topics, Limits limits, String lan, NodeMetrics metrics) {
        this(ws, context, topics, limits, lan, metrics, null, null);
    }

    WsConnection(ServerWebSocket ws, Context context, TopicService topics, Limits limits, String lan, NodeMetrics metrics,
                 io.backplane.node.wan.WanService wan, Drain drain) {
        this.wan = wan;
        this.drain = drain;
        this.ws = ws;
        this.context = context;
        this.topics = topics;
        this.limits = limits;
        this.lan = lan;
        this.metrics = metrics;
        this.lowWaterBytes = Math.min(limits.maxOutboundBytesPerConnection() / 4, 4L * 1024 * 1024);
    }

    void start() {
        metrics.websocketOpened();
        ws.textMessageHandler(this::onText);
        ws.binaryMessageHandler(b -> send(Frames.error(null, "bad-request", "frames must be JSON text frames")));
        ws.drainHandler(v -> drain());
        ws.exceptionHandler(e -> { /* closeHandler follows; nothing to add */ });
        ws.closeHandler(v -> {
            closed = true;
            outbound.clear();
            metrics.websocketClosed();
            topics.disconnect(this);
            if (drain != null) {
                drain.untrack(this);
            }
        });
        if (drain != null) {
            drain.track(this);
        }
    }

    /** A draining node's reconnect hint: the frame, then close 1001 (going away). Any thread. */
    void goAway(OutboundFrame.Control frame) {
        context.runOnContext(v -> closeWith(frame, (short) 1001, "draining"));
    }

    /** True (and the request answered) when the node drains and takes no new work. */
    private boolean refusedWhileDraining(String id) {
        if (drain == null || !drain.draining()) {
            return false;
        }
        send(Frames.error(id, "unavailable", Drain.REASON + "; use another node of the LAN"));
        return true;
    }

    // ---------------------------------------------------------------- inbound ops (event loop)

    private void onText(String text) {
        if (text.length() > limits.maxWebSocketMessageBytes()) {
            // Checked on chars: a message over the limit in chars is over it in UTF-8 bytes too.
            closeWith(Frames.error(null, "payload-too-large", "websocket message is larger than the "
                    + limits.maxWebSocketMessageBytes() + "-byte limit"), (short) 1009, "message too big");
            return;
        }
        JsonNode op;
        try {
            op = JSON.readTree(text);
        } catch (Exception e) {
            send(Frames.error(null, "bad-request", "frame is not valid JSON"));
            return;
        }
        if (op == null || !op.isObject()) {
            send(Frames.error(null, "bad-request", "frame must be a JSON object"));
            return;
        }
        String id = op.hasNonNull("id") && op.get("id").isValueNode() ? op.get("id").asText() : null;
        String name = op.path("op").asText("");
        switch (name) {
            case "subscribe" -> onSubscribe(op, id);
            case "unsubscribe" -> onUnsubscribe(id);
            case "post" -> onPost(op, id);
            case "" -> send(Frames.error(id, "bad-request", "frame has no \"op\""));
            default -> send(Frames.error(id, "bad-request", "unknown op '" + name + "'; use subscribe, unsubscribe or post"));
        }
    }

    private void onSubscribe(JsonNode op, String id) {
        if (refusedWhileDraining(id)) {
            return;
        }
        if (id == null || id.isEmpty() || id.length() > 128) {
            send(Frames.error(id, "bad-request", "subscribe needs an \"id\" of 1 to 128 characters"));
            return;
        }
        String topic = op.path("topic").asText(null);
        TopicName.Qualified pattern;
        try {
            pattern = TopicName.parsePattern(topic);
        } catch (InvalidTopicException e) {
            send(Frames.error(id, "bad-topic", e.getMessage()));
            return;
        }
        if (pattern.isRemote(lan) && wan == null) {
            send(Frames.error(id, "unavailable", "remote subscriptions to LAN " + pattern.lan()
                    + " need a WAN link, which this node does not have"));
            return;
        }
        Replay replay;
        try {
            replay = parseReplay(op.get("replay"));
        } catch (IllegalArgumentException e) {
            send(Frames.error(id, "bad-request", e.getMessage()));
            return;
        }
        if (pattern.isRemote(lan)) {
            // A remote subscription reads this LAN's mirror of the pattern (docs/ARCHITECTURE.md §11): the
            // same replay, seam and order as a local topic, with the remote LAN's seqs, ids and "lan".
            wan.mirror(pattern.lan(), pattern.path()).whenComplete((local, error) -> {
                if (error != null) {
                    Throwable cause = error.getCause() != null ? error.getCause() : error;
                    send(Frames.error(id, "unavailable", cause.getMessage()));
                } else {
                    topics.subscribe(this, id, local, replay);
                }
            });
            return;
        }
        topics.subscribe(this, id, pattern.path(), replay);
    }

    private Replay parseReplay(JsonNode replay) {
        if (replay == null || replay.isNull()) {
            return Replay.NONE;
        }
        if (!replay.isObject() || replay.size() != 1) {
            throw new IllegalArgumentException("replay must be one of {\"fromSeq\":N}, {\"last\":N}, {\"fromTime\":\"ISO-8601\"}");
        }
        if (replay.has("fromSeq")) {
            long seq = positiveLong(replay.get("fromSeq"), "replay.fromSeq");
            return Replay.fromSeq(seq);
        }
        if (replay.has("last")) {
            long last = positiveLong(replay.get("last"), "replay.last");
            if (last > limits.maxReplayLast()) {
                throw new IllegalArgumentException("replay.last may be at most " + limits.maxReplayLast()
                        + "; use fromSeq or fromTime for longer replays");
            }
            return Replay.last(last);
        }
        if (replay.has("fromTime")) {
            try {
                return Replay.fromTime(Instant.parse(replay.get("fromTime").asText()).toEpochMilli());
            } catch (DateTimeParseException | ArithmeticException e) {
                throw new IllegalArgumentException("replay.fromTime must be an ISO-8601 instant such as 2026-11-22T11:04:42Z");
            }
        }
        throw new IllegalArgumentException("replay must be one of {\"fromSeq\":N}, {\"last\":N}, {\"fromTime\":\"ISO-8601\"}");
    }

    private static long positiveLong(JsonNode node, String name) {
        if (node == null || !node.canConvertToLong() || !node.isIntegralNumber() || node.asLong() < 1) {
            throw new IllegalArgumentException(name + " must be an integer >= 1");
        }
        return node.asLong();
    }

    private void onUnsubscribe(String id) {
        if (id == null) {
            send(Frames.error(null, "bad-request", "unsubscribe needs the \"id\" of the subscription"));
            return;
        }
        topics.unsubscribe(this, id);
    }

    private void onPost(JsonNode op, String id) {
        if (refusedWhileDraining(id)) {
            return;
        }
        TopicName.Qualified topic;
        try {
            topic = TopicName.parseTopic(op.path("topic").asText(null));
        } catch (InvalidTopicException e) {
            send(Frames.error(id, "bad-topic", e.getMessage()));
            return;
        }
        if (topic.isRemote(lan) && wan == null) {
            send(Frames.error(id, "unavailable", "posts to LAN " + topic.lan() + " need a WAN spool, which this node does not have"));
            return;
        }
        JsonNode payloadNode = op.get("payload");
        if (payloadNode == null) {
            send(Frames.error(id, "bad-request", "post needs a \"payload\""));
            return;
        }
        String key = op.hasNonNull("idempotencyKey") ? op.get("idempotencyKey").asText() : null;
        String keyProblem = HttpApi.checkIdempotencyKey(key);
        if (keyProblem != null) {
            send(Frames.error(id, "bad-request", keyProblem));
            return;
        }
        Payload payload;
        try {
            payload = toPayload(op, payloadNode);
        } catch (BadPayloadException e) {
            send(Frames.error(id, "bad-request", e.getMessage()));
            return;
        }
        if (payload.sizeBytes() > limits.maxPayloadBytes()) {
            send(Frames.error(id, "payload-too-large", "payload is larger than " + limits.maxPayloadBytes() + " bytes"));
            return;
        }
        (topic.isRemote(lan) ? wan.spool(topic.lan(), topic.path(), payload, key) : topics.post(topic.path(), payload, key))
                .whenComplete((result, error) -> {
            if (error == null) {
                send(Frames.posted(id, result.ackJson()));
            } else {
                HttpApi.ApiError api = HttpApi.ApiError.of(error);
                send(Frames.error(id, api.code(), api.message()));
            }
        });
    }

    private Payload toPayload(JsonNode op, JsonNode payloadNode) {
        String contentType = op.hasNonNull("contentType") ? op.get("contentType").asText() : Payload.JSON;
        if (Payload.isJsonType(contentType)) {
            try {
                return Payload.fromJsonValue(JSON.writeValueAsBytes(payloadNode));
            } catch (Exception e) {
                throw new BadPayloadException("payload cannot be encoded as JSON");
            }
        }
        if (!payloadNode.isTextual()) {
            throw new BadPayloadException("a payload with contentType " + contentType + " must be a JSON string");
        }
        return Payload.fromText(contentType, payloadNode.asText());
    }

    // ---------------------------------------------------------------- outbound (SubscriberSink)

    /** Queues a frame that answers a request; these are small and never count as slowness. */
    private void send(OutboundFrame frame) {
        if (!offer(frame) && !closed) {
            slowConsumer();
        }
    }

    @Override
    public boolean offer(OutboundFrame frame) {
        if (closed) {
            return true; // nothing to deliver to; the service learns of the close through disconnect()
        }
        long bytes = queuedBytes.addAndGet(frame.sizeBytes());
        if (bytes > limits.maxOutboundBytesPerConnection()) {
            queuedBytes.addAndGet(-frame.sizeBytes());
            return false;
        }
        outbound.add(frame);
        if (drainScheduled.compareAndSet(false, true)) {
            context.runOnContext(v -> drain());
        }
        return true;
    }

    @Override
    public boolean hasReplayRoom() {
        if (queuedBytes.get() < lowWaterBytes) {
            return true;
        }
        // Flag first, then look again: drain() either sees the flag or we see its progress.
        replayWaiting = true;
        return queuedBytes.get() < lowWaterBytes;
    }

    @Override
    public void slowConsumer() {
        context.runOnContext(v -> closeWith(Frames.error(null, "slow-consumer", "the subscriber did not keep up and its "
                + limits.maxOutboundBytesPerConnection() + "-byte outbound buffer is full; reconnect and resume with fromSeq"),
                (short) 1013, "slow-consumer"));
    }

    /** Event loop: drops queued frames, sends a last error frame and closes with the given status. */
    private void closeWith(OutboundFrame.Control error, short status, String reason) {
        if (closed) {
            return;
        }
        closed = true;
        outbound.clear();
        ws.writeTextMessage(error.json());
        ws.close(status, reason);
    }

    /** Event loop: writes queued frames while the socket's own write queue has room. */
    private void drain() {
        drainScheduled.set(false);
        while (!closed) {
            if (ws.writeQueueFull()) {
                return; // drainHandler calls us again
            }
            OutboundFrame frame = outbound.poll();
            if (frame == null) {
                return;
            }
            long after = queuedBytes.addAndGet(-frame.sizeBytes());
            write(frame);
            if (after < lowWaterBytes && replayWaiting) {
                replayWaiting = false;
                topics.replayRoomAvailable(this);
            }
        }
    }

    private void write(OutboundFrame frame) {
        if (frame instanceof OutboundFrame.Delivery delivery) {
            ws.writeTextMessage(new String(delivery.encode(), StandardCharsets.UTF_8));
        } else if (frame instanceof OutboundFrame.Control control) {
            ws.writeTextMessage(control.json());
        }
    }
}
