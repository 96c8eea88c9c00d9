package io.backplane.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@link Subscription}: its own websocket, its own bounded frame queue and its own dispatcher
 * thread, which owns every piece of state below (a single-threaded state machine fed by events:
 * socket opened, frame, socket closed, timer, close request).
 *
 * <p><b>Positions.</b> For every topic the subscription keeps a cursor: the last seq handed to the
 * handler, or, before any, the seq after which the subscription continues as the node told it in
 * {@code replay-complete} (the node guarantees the next message has {@code lastSeq + 1}). A live-only
 * subscription ({@link Replay#none()}) is sent to the node as {@code {"last":1}} with the replayed
 * message withheld from the handler, only to learn that position. A topic with a cursor is
 * <em>positioned</em>.
 *
 * <p><b>Delivery filter.</b> A message with seq ≤ cursor is a duplicate and dropped; seq = cursor + 1
 * is handed over; seq > cursor + 1 can only be the node starting past history trimmed by retention:
 * it is handed over and reported as a {@code gap}.
 *
 * <p><b>Resume after a lost connection</b> (to the next node, with backoff):
 * <ul>
 *   <li>exact topic: {@code fromSeq = cursor + 1}, or the original replay if it had no position yet;</li>
 *   <li>pattern: one exact subscription {@code fromSeq = cursor + 1} per positioned topic, plus the
 *       pattern itself as a probe ({@code {"last":1}}, replayed messages withheld). The probe's frames
 *       for positioned topics are ignored. For a matching topic that had no position (created while
 *       disconnected, or its first replay had not reached us) the probe's {@code replay-complete}
 *       opens one more exact subscription from the original replay's start ({@code fromSeq} n,
 *       {@code fromTime} t, or seq 1 for {@code last}/{@code none}), and the probe's frames for it are
 *       ignored from then on. Topics created after the resubscription come live from seq 1 through
 *       the probe. With more than {@link ClientOptions#maxResumeTopics()} positioned topics, the
 *       pattern is instead resubscribed {@code fromSeq 1} and the filter drops what was seen.</li>
 * </ul>
 *
 * <p><b>Backpressure.</b> The socket is read only while fewer than
 * {@link ClientOptions#subscriptionQueueFrames()} frames wait for the dispatcher; a slow handler
 * therefore stops its own socket only, the node's outbound buffer for that connection fills, and the
 * node closes it with {@code slow-consumer}; the engine reconnects (to the same node) and resumes by
 * {@code fromSeq}, so a slow handler sees no gap, only a pause.
 */
final class SubscriptionEngine implements Subscription, WsLink.Sink {
    private static final AtomicInteger ENGINES = new AtomicInteger();
    private static final long CLOSE_WAIT_MILLIS = 2000;

    private enum ServerSubKind { PRIMARY, PROBE, EXACT }

    /** One subscribe op sent on the current socket. */
    private record ServerSub(ServerSubKind kind, String topic, boolean withholdReplay) { }

    private sealed interface Event { }

    private record Connect() implements Event { }

    private record Opened(WsLink link) implements Event { }

    private record ConnectFailed(int nodeIndex, Throwable error) implements Event { }

    private record Frame(WsLink link, ServerFrame frame) implements Event { }

    private record Closed(WsLink link, String reason) implements Event { }

    private record CloseRequested() implements Event { }

    private final Shared shared;
    private final String topicOrPattern;
    private final boolean pattern;
    private final Replay replay;
    private final MessageHandler handler;
    private final int queueFrames;

    // Shared between the socket's listener and the dispatcher.
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicInteger framesQueued = new AtomicInteger();
    private final AtomicBoolean demandWanted = new AtomicBoolean();
    private final Map<String, Long> cursors = new ConcurrentHashMap<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final CompletableFuture<Void> firstSubscribed = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final Thread dispatcher;
    private volatile boolean closing;

    // Dispatcher thread only.
    private WsLink link;
    private int connectAttempts;
    private boolean everSubscribed;
    private boolean slowConsumerSeen;
    private boolean ended;
    private int subCounter;
    private String primaryId;
    private final Map<String, ServerSub> serverSubs = new HashMap<>();
    private final Map<String, String> exactRoutes = new HashMap<>();
    private final Set<String> unsubscribing = new HashSet<>();
    private long closeDeadlineNanos;

    SubscriptionEngine(Shared shared, String topicOrPattern, Replay replay, MessageHandler handler) {
        this.shared = shared;
        this.topicOrPattern = topicOrPattern;
        this.pattern = isPattern(topicOrPattern);
        this.replay = replay;
        this.handler = handler;
        this.queueFrames = shared.options().subscriptionQueueFrames();
        this.dispatcher = new Thread(this::run, "backplane-sub-" + ENGINES.incrementAndGet());
        this.dispatcher.setDaemon(true);
    }

    static boolean isPattern(String topicOrPattern) {
        String path = topicOrPattern;
        int at = path.indexOf('@');
        if (at >= 0) {
            path = path.substring(0, at);
        }
        for (String segment : path.split("/")) {
            if (segment.equals("*") || segment.equals("**")) {
                return true;
            }
        }
        return false;
    }

    /** Starts and waits for the node's {@code subscribed}; fails with the node's error or a timeout. */
    void start() {
        dispatcher.start();
        events.add(new Connect());
        long timeoutMillis = shared.options().subscribeTimeout().toMillis();
        try {
            firstSubscribed.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            close();
            throw e.getCause() instanceof BackplaneException b ? b
                    : new BackplaneException("connection-failed", String.valueOf(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            close();
            throw new BackplaneException("timeout", "no node answered the subscription to " + topicOrPattern
                    + " within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new BackplaneException("closed", "interrupted while subscribing to " + topicOrPattern);
        }
    }

    /** Runs {@code action} once the subscription has ended (closed by the user or by an error). */
    void onFinished(Runnable action) {
        finished.thenRun(action);
    }

    // ---------------------------------------------------------------- Subscription

    @Override
    public String topicOrPattern() {
        return topicOrPattern;
    }

    @Override
    public OptionalLong lastSeq(String topic) {
        Long seq = cursors.get(topic);
        return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
    }

    @Override
    public long deliveredCount() {
        return delivered.get();
    }

    @Override
    public long reconnectCount() {
        return reconnects.get();
    }

    @Override
    public void close() {
        if (!closing) {
            closing = true;
            events.add(new CloseRequested());
        }
        if (Thread.currentThread() == dispatcher) {
            return; // called from the handler: the dispatcher finishes once the handler returns
        }
        try {
            finished.get(CLOSE_WAIT_MILLIS + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            dispatcher.interrupt();
        }
    }

    // ---------------------------------------------------------------- WsLink.Sink (listener thread)

    @Override
    public void onFrame(WsLink from, String text) {
        ServerFrame frame;
        try {
            frame = FrameCodec.parse(text);
        } catch (BackplaneException e) {
            shared.report(e);
            from.abort(e.getMessage());
            return;
        }
        events.add(new Frame(from, frame));
        if (framesQueued.incrementAndGet() < queueFrames) {
            from.request();
            return;
        }
        // Full: the dispatcher requests once it takes a frame. Flag first, then look again, so one of
        // us sees the other's progress and exactly one requests.
        demandWanted.set(true);
        if (framesQueued.get() < queueFrames && demandWanted.compareAndSet(true, false)) {
            from.request();
        }
    }

    @Override
    public void onClosed(WsLink from, String reason) {
        events.add(new Closed(from, reason));
    }

    // ---------------------------------------------------------------- dispatcher

    private void run() {
        try {
            while (!ended) {
                Event event = closeDeadlineNanos == 0 ? events.take() : events.poll(10, TimeUnit.MILLISECONDS);
                if (event != null) {
                    onEvent(event);
                }
                if (!ended && closeDeadlineNanos != 0 && System.nanoTime() > closeDeadlineNanos) {
                    end();
                }
            }
        } catch (InterruptedException e) {
            end();
        } catch (RuntimeException | Error e) {
            shared.report(new BackplaneException("internal", "subscription to " + topicOrPattern + " stopped: " + e, e));
            end();
        }
    }

    private void onEvent(Event event) {
        // Java 17 has no pattern switch outside preview: an instanceof chain over the sealed events.
        if (event instanceof Frame f) {
            framesQueued.decrementAndGet();
            if (demandWanted.compareAndSet(true, false)) {
                f.link().request();
            }
            if (f.link() == link) {
                onFrame(f.frame());
            }
        } else if (event instanceof Connect) {
            connect();
        } else if (event instanceof Opened o) {
            onOpened(o.link());
        } else if (event instanceof ConnectFailed f) {
            onConnectFailed(f.nodeIndex());
        } else if (event instanceof Closed c) {
            onLinkClosed(c.link(), c.reason());
        } else if (event instanceof CloseRequested) {
            onCloseRequested();
        }
    }

    private void connect() {
        if (closing || link != null) {
            return;
        }
        int node = shared.nodes().currentIndex();
        WsLink.open(shared.http(), shared.nodes(), node, shared.options(), this).whenComplete((opened, error) -> {
            if (error != null) {
                events.add(new ConnectFailed(node, error));
            } else {
                events.add(new Opened(opened));
            }
        });
    }

    private void onConnectFailed(int node) {
        shared.nodes().failed(node);
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (closing) {
            return;
        }
        long delay = shared.backoff().delayMillis(connectAttempts++);
        shared.timer().schedule(() -> events.add(new Connect()), delay, TimeUnit.MILLISECONDS);
    }

    private void onOpened(WsLink opened) {
        if (closing) {
            opened.close();
            end();
            return;
        }
        if (opened.isClosed()) {
            scheduleReconnect(); // it died before we got to it; its Closed event is ignored as stale
            return;
        }
        link = opened;
        serverSubs.clear();
        exactRoutes.clear();
        sendSubscribeOps();
        if (framesQueued.get() < queueFrames) {
            opened.request();
        } else {
            demandWanted.set(true);
        }
    }

    private void sendSubscribeOps() {
        if (!everSubscribed) {
            boolean liveOnly = replay.kind() == Replay.Kind.NONE;
            primaryId = subscribe(ServerSubKind.PRIMARY, topicOrPattern, liveOnly ? Replay.last(1) : replay, liveOnly);
            return;
        }
        if (!pattern) {
            Long cursor = cursors.get(topicOrPattern);
            if (cursor != null) {
                primaryId = subscribe(ServerSubKind.PRIMARY, topicOrPattern, Replay.fromSeq(cursor + 1), false);
            } else {
                boolean liveOnly = replay.kind() == Replay.Kind.NONE;
                primaryId = subscribe(ServerSubKind.PRIMARY, topicOrPattern, liveOnly ? Replay.last(1) : replay, liveOnly);
            }
            return;
        }
        List<Map.Entry<String, Long>> positioned = new ArrayList<>(cursors.entrySet());
        if (positioned.size() > shared.options().maxResumeTopics()) {
            primaryId = subscribe(ServerSubKind.PRIMARY, topicOrPattern, Replay.fromSeq(1), false);
            return;
        }
        for (Map.Entry<String, Long> entry : positioned) {
            exactRoutes.put(entry.getKey(), subscribe(ServerSubKind.EXACT, entry.getKey(),
                    Replay.fromSeq(entry.getValue() + 1), false));
        }
        primaryId = subscribe(ServerSubKind.PROBE, topicOrPattern, Replay.last(1), true);
    }

    private String subscribe(ServerSubKind kind, String topic, Replay serverReplay, boolean withholdReplay) {
        String id = "s" + (++subCounter);
        serverSubs.put(id, new ServerSub(kind, kind == ServerSubKind.EXACT ? topic : null, withholdReplay));
        link.send(FrameCodec.subscribe(id, topic, serverReplay));
        return id;
    }

    /** Where a pattern's topic that never had a position starts when found after a reconnect. */
    private Replay startOfUnpositioned() {
        return switch (replay.kind()) {
            case FROM_SEQ, FROM_TIME -> replay;
            case LAST, NONE -> Replay.fromSeq(1);
        };
    }

    private void onFrame(ServerFrame frame) {
        if (frame instanceof ServerFrame.Delivery d) {
            onDelivery(d.sub(), d.message());
        } else if (frame instanceof ServerFrame.ReplayComplete r) {
            onReplayComplete(r.sub(), r.topic(), r.lastSeq());
        } else if (frame instanceof ServerFrame.Subscribed s) {
            onSubscribed(s.id());
        } else if (frame instanceof ServerFrame.Unsubscribed u) {
            onUnsubscribed(u.id());
        } else if (frame instanceof ServerFrame.Error e) {
            onError(e.id(), e.code(), e.message());
        }
        // posted and unknown frames do not concern a subscription
    }

    private void onSubscribed(String id) {
        if (!id.equals(primaryId)) {
            return;
        }
        connectAttempts = 0;
        if (!everSubscribed) {
            everSubscribed = true;
            firstSubscribed.complete(null);
        } else {
            reconnects.incrementAndGet();
        }
    }

    private void onDelivery(String sub, Message message) {
        ServerSub server = serverSubs.get(sub);
        if (server == null || closing) {
            return;
        }
        if (server.kind() == ServerSubKind.PROBE && exactRoutes.containsKey(message.topic())) {
            return; // that topic resumes through its own exact subscription
        }
        if (server.withholdReplay() && message.isReplay()) {
            return; // only asked for to learn the position (live-only start, or the resume probe)
        }
        deliver(message);
    }

    private void deliver(Message message) {
        String topic = message.topic();
        long seq = message.seq();
        Long cursor = cursors.get(topic);
        if (cursor != null && seq <= cursor) {
            return; // already handed over (seen again after a resume)
        }
        if (cursor != null && seq > cursor + 1) {
            shared.report(new BackplaneException("gap", topic + " continues at seq " + seq + " after " + cursor
                    + ": seqs " + (cursor + 1) + ".." + (seq - 1) + " are no longer retained by the node"));
        }
        cursors.put(topic, seq);
        delivered.incrementAndGet();
        shared.causal().observe(topic, seq);
        try {
            handler.onMessage(message);
        } catch (RuntimeException | Error e) {
            shared.report(new BackplaneException("handler-failed", "the handler of " + topicOrPattern
                    + " threw on " + topic + " seq " + seq + ": " + e, e));
        }
    }

    private void onReplayComplete(String sub, String topic, long lastSeq) {
        ServerSub server = serverSubs.get(sub);
        if (server == null || topic == null) {
            return;
        }
        if (server.kind() == ServerSubKind.PROBE) {
            if (!exactRoutes.containsKey(topic)) {
                Long cursor = cursors.get(topic);
                Replay start = cursor != null ? Replay.fromSeq(cursor + 1) : startOfUnpositioned();
                exactRoutes.put(topic, subscribe(ServerSubKind.EXACT, topic, start, false));
            }
            return;
        }
        Long cursor = cursors.get(topic);
        if (cursor == null) {
            cursors.put(topic, lastSeq);
        } else if (lastSeq > cursor) {
            shared.report(new BackplaneException("gap", topic + " replay ended at " + lastSeq + " but the handler got "
                    + cursor + " last; seqs " + (cursor + 1) + ".." + lastSeq + " are no longer retained by the node"));
            cursors.put(topic, lastSeq);
        }
    }

    private void onError(String id, String code, String message) {
        BackplaneException error = new BackplaneException(code, message);
        if (id == null) {
            if (code.equals("slow-consumer")) {
                slowConsumerSeen = true; // the node closes the socket next; resume on the same node
            }
            shared.report(error);
            return;
        }
        if (closing && unsubscribing.remove(id)) {
            finishCloseIfDone();
            return;
        }
        if (!serverSubs.containsKey(id)) {
            return;
        }
        if (!everSubscribed) {
            firstSubscribed.completeExceptionally(error);
            closing = true;
            link.close();
            end();
            return;
        }
        shared.report(error);
        switch (code) {
            case "bad-topic", "bad-request", "forbidden", "payload-too-large" -> {
                // The node will not take this subscription back: stop rather than retry forever.
                closing = true;
                link.close();
                end();
            }
            default -> link.abort("subscription ended by the node (" + code + "); resubscribing");
        }
    }

    private void onLinkClosed(WsLink closed, String reason) {
        if (closed != link) {
            return;
        }
        link = null;
        if (closing) {
            end();
            return;
        }
        if (!slowConsumerSeen) {
            shared.nodes().failed(closed.nodeIndex());
        }
        slowConsumerSeen = false;
        shared.report(new BackplaneException("connection-lost", "subscription to " + topicOrPattern + ": " + reason
                + "; resuming"));
        scheduleReconnect();
    }

    private void onCloseRequested() {
        if (link == null || link.isClosed()) {
            end();
            return;
        }
        unsubscribing.addAll(serverSubs.keySet());
        for (String id : serverSubs.keySet()) {
            link.send(FrameCodec.unsubscribe(id));
        }
        serverSubs.clear();
        closeDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        finishCloseIfDone();
    }

    private void onUnsubscribed(String id) {
        if (unsubscribing.remove(id)) {
            finishCloseIfDone();
        }
    }

    private void finishCloseIfDone() {
        if (unsubscribing.isEmpty()) {
            end();
        }
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        closing = true;
        if (link != null) {
            link.close();
            link = null;
        }
        events.clear();
        firstSubscribed.completeExceptionally(new BackplaneException("closed", "subscription closed"));
        finished.complete(null);
    }
}
