package io.backplane.systest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One websocket subscriber, first connected to its home node: subscribes to every topic of the run with
 * {@code replay: {fromSeq: 1}} and records every message. When its socket closes or fails, or its node's
 * {@code /health} stops answering 200 (a paused or cut-off node closes nothing), it reconnects to the next
 * node and resubscribes each topic with {@code fromSeq} = last seen + 1 — the contract's resume rule
 * (CONTRACT.md §5), so any gap or duplicate the checker finds is the cluster's, not the harness's.
 *
 * <p>A subscriber given a {@link Relay} is also a causal client (CONTRACT.md §6.2): for every message of
 * the relay's cause topic it receives live, it posts over the same websocket a message to the effect
 * topic naming that cause, which every subscriber of both must then receive after the cause.
 */
public final class Subscriber implements AutoCloseable {
    static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);
    static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(1);
    /** Consecutive failed health checks after which the subscriber gives up on its node. */
    static final int HEALTH_FAILURES_MAX = 2;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final long RECONNECT_PAUSE_MILLIS = 100;

    /**
     * Post to {@code effectTopic}, over the subscriber's own websocket, after each live message of
     * {@code causeTopic}; the payload names the cause as {@code {"afterTopic":…,"afterSeq":…}}.
     */
    public record Relay(String causeTopic, String effectTopic) { }

    private final String name;
    private final Relay relay;
    private volatile boolean relaying;
    private long relayed;
    private long relayErrors;
    /** Effects sent on the current connection and not yet answered ({@code posted} or an error frame). */
    private int relayPending;
    /** Sends on one java.net.http.WebSocket must not overlap: each waits for the one before. */
    private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);
    private final List<String> topics;
    /** {@code T@L} of remote subscriptions, found by a message's topic and lan. */
    private final java.util.Map<String, String> remoteNames = new java.util.HashMap<>();
    private final List<NodeProcess> nodes;
    private final Trace trace;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(NodeApi.CONNECT_TIMEOUT).build();
    private final NodeApi api = new NodeApi();
    private final Map<String, Long> lastSeq = new HashMap<>();
    private final Thread supervisor;
    private volatile boolean closing;
    private int nodeIndex;
    private int connection;
    private WebSocket socket;
    private CompletableFuture<Void> lost = new CompletableFuture<>();
    private int reconnects;
    private int errors;

    public Subscriber(String name, List<String> topics, List<NodeProcess> nodes, int home, Trace trace) {
        this(name, topics, nodes, home, trace, null);
    }

    public Subscriber(String name, List<String> topics, List<NodeProcess> nodes, int home, Trace trace, Relay relay) {
        this.name = name;
        this.relay = relay;
        this.relaying = relay != null;
        this.topics = List.copyOf(topics);
        for (String t : topics) {
            if (t.contains("@")) {
                remoteNames.put(t, t); // a remote subscription's messages carry the remote LAN: recorded under T@L
            }
        }
        this.nodes = List.copyOf(nodes);
        this.nodeIndex = home % nodes.size();
        this.trace = trace;
        this.supervisor = new Thread(this::supervise, name + "-supervisor");
        this.supervisor.setDaemon(true);
    }

    public String name() {
        return name;
    }

    public void start() {
        supervisor.start();
    }

    /** The last seq received per topic (0 for none). */
    public synchronized long lastSeq(String topic) {
        return lastSeq.getOrDefault(topic, 0L);
    }

    /**
     * Stops posting effects and waits until the current connection answered every effect it sent (at
     * most {@code timeout}), so no effect lands after the drain has read where histories end.
     */
    public void stopRelaying(Duration timeout) throws InterruptedException {
        relaying = false;
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (relayPending > 0 && System.nanoTime() < deadline) {
                wait(100);
            }
        }
    }

    /** Effects posted (sent; the node may still have refused some). */
    public synchronized long relayed() {
        return relayed;
    }

    /** Effect posts answered with an error frame (e.g. unavailable during a view change). */
    public synchronized long relayErrors() {
        return relayErrors;
    }

    /** Successful connections after the first one. */
    public synchronized int reconnects() {
        return reconnects;
    }

    /** Keeps one healthy connection: connect, watch, and on loss move to the next node. */
    private void supervise() {
        boolean first = true;
        while (!closing) {
            try {
                if (!first) {
                    nodeIndex = (nodeIndex + 1) % nodes.size();
                    Thread.sleep(RECONNECT_PAUSE_MILLIS);
                }
                NodeProcess node = nodes.get(nodeIndex);
                if (!connect(node)) {
                    first = false;
                    continue;
                }
                if (!first) {
                    synchronized (this) {
                        reconnects++;
                    }
                }
                first = false;
                watch(node);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private boolean connect(NodeProcess node) throws InterruptedException {
        CompletableFuture<Void> lostOfThis = new CompletableFuture<>();
        int generation;
        Map<String, Long> resumeFrom = new HashMap<>();
        synchronized (this) {
            // From here on frames of older connections are ignored, so these resume points are final:
            // no message of this connection for a topic can arrive before that topic's subscribe is sent.
            generation = ++connection;
            lost = lostOfThis;
            topics.forEach(t -> resumeFrom.put(t, lastSeq.getOrDefault(t, 0L) + 1));
        }
        WebSocket ws = null;
        try {
            ws = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT)
                    .buildAsync(node.wsUri(), new Listener(node, generation, lostOfThis))
                    .get(CONNECT_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
            synchronized (this) {
                socket = ws;
                sendChain = CompletableFuture.completedFuture(null);
                relayPending = 0; // effects of older connections were answered or lost with them
            }
            for (String topic : topics) {
                ObjectNode subscribe = NodeApi.JSON.createObjectNode().put("op", "subscribe").put("id", topic).put("topic", topic);
                subscribe.putObject("replay").put("fromSeq", resumeFrom.get(topic));
                send(ws, subscribe.toString()).get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            if (ws != null) {
                ws.abort();
            }
            lostOfThis.complete(null);
            return false;
        }
    }

    /** Queues a text frame behind the ones already being sent on this socket. */
    private synchronized CompletableFuture<?> send(WebSocket ws, String text) {
        CompletableFuture<?> next = sendChain.handle((ok, error) -> null).thenCompose(x -> ws.sendText(text, true));
        sendChain = next;
        return next;
    }

    /** Returns when the connection was lost or the node stopped being healthy (then the socket is aborted). */
    private void watch(NodeProcess node) throws InterruptedException {
        CompletableFuture<Void> lostOfThis;
        synchronized (this) {
            lostOfThis = lost;
        }
        int failures = 0;
        while (!closing && !lostOfThis.isDone()) {
            try {
                lostOfThis.get(HEALTH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
                break;
            } catch (java.util.concurrent.TimeoutException e) {
                failures = api.healthy(node.httpUri(), HEALTH_TIMEOUT) ? 0 : failures + 1;
                if (failures >= HEALTH_FAILURES_MAX) {
                    break;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                break;
            }
        }
        synchronized (this) {
            connection++; // messages still buffered on the old socket are ignored from here on
            if (socket != null) {
                socket.abort();
                socket = null;
            }
        }
    }

    private synchronized void onFrame(NodeProcess node, int generation, String text, CompletableFuture<Void> lostOfThis) {
        if (generation != connection) {
            return;
        }
        JsonNode frame;
        try {
            frame = NodeApi.JSON.readTree(text);
        } catch (IOException e) {
            return;
        }
        String type = frame.path("type").asText();
        if ("message".equals(type)) {
            JsonNode m = frame.path("message");
            String topic = remoteNames.getOrDefault(m.path("topic").asText() + "@" + m.path("lan").asText(),
                    m.path("topic").asText());
            long seq = m.path("seq").asLong();
            boolean replay = frame.path("replay").asBoolean(false);
            JsonNode payload = m.path("payload");
            String causeTopic = payload.hasNonNull("afterTopic") ? payload.path("afterTopic").asText() : null;
            long causeSeq = payload.path("afterSeq").asLong(0);
            trace.delivery(new Trace.Delivery(name, node.id(), generation, topic, seq, m.path("id").asText(), trace.nowNanos(),
                    replay, causeTopic, causeSeq));
            lastSeq.merge(topic, seq, Math::max);
            if (relaying && !replay && topic.equals(relay.causeTopic()) && socket != null) {
                ObjectNode post = NodeApi.JSON.createObjectNode().put("op", "post").put("id", "relay-" + (++relayed))
                        .put("topic", relay.effectTopic());
                post.putObject("payload").put("afterTopic", topic).put("afterSeq", seq);
                relayPending++;
                send(socket, post.toString()); // a lost post is fine: only delivered effects are judged
            }
        } else if ("posted".equals(type) && frame.path("id").asText().startsWith("relay-")) {
            relayPending--;
            notifyAll();
        } else if ("replay-complete".equals(type)) {
            trace.replayComplete(name, generation, frame.path("topic").asText());
        } else if ("error".equals(type) && frame.path("id").asText().startsWith("relay-")) {
            relayErrors++; // an effect refused (e.g. 503 mid view change): nothing to judge, keep the connection
            relayPending--;
            notifyAll();
        } else if ("error".equals(type)) {
            // A refused subscription (e.g. unavailable during a view change) or slow-consumer: start over
            // elsewhere with fromSeq rather than sit on a connection that will not deliver that topic.
            errors++;
            lostOfThis.complete(null);
        }
    }

    /** Error frames received (each made the subscriber reconnect). */
    public synchronized int errors() {
        return errors;
    }

    private final class Listener implements WebSocket.Listener {
        private final NodeProcess node;
        private final int generation;
        private final CompletableFuture<Void> lostOfThis;
        private final StringBuilder partial = new StringBuilder();

        Listener(NodeProcess node, int generation, CompletableFuture<Void> lostOfThis) {
            this.node = node;
            this.generation = generation;
            this.lostOfThis = lostOfThis;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                onFrame(node, generation, text, lostOfThis);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            lostOfThis.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            lostOfThis.complete(null);
        }
    }

    @Override
    public void close() {
        closing = true;
        supervisor.interrupt();
        synchronized (this) {
            connection++;
            if (socket != null) {
                socket.abort();
            }
        }
    }
}
