package io.backplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Posts over the client's publishing websocket (the {@code post} op of CONTRACT.md §5).
 *
 * <p>Each post carries an idempotency key of its own (a random UUID) and stays pending until its
 * {@code posted} frame. When the socket is lost, every pending post is sent again with the same key on
 * the next connection (to the next node): the node answers a repeated key with the first post's
 * envelope, so a post is applied once whichever attempt reached it. {@code unavailable} and
 * {@code too-many-requests} answers are retried with backoff; other errors fail the post. Bounded by
 * {@link ClientOptions#maxInFlightPosts()}, {@link ClientOptions#maxPostAttempts()} and
 * {@link ClientOptions#postTimeout()}.
 */
final class WsPoster implements WsLink.Sink {
    private static final class Pending {
        final String id;
        final String op;
        final long deadlineNanos;
        final CompletableFuture<Posted> future = new CompletableFuture<>();
        int attempts;
        boolean awaitingRetry;
        BackplaneException lastError;

        Pending(String id, String op, long deadlineNanos) {
            this.id = id;
            this.op = op;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private final Shared shared;
    private final Object lock = new Object();
    private final Map<String, Pending> pending = new HashMap<>(); // under lock
    private WsLink link;            // under lock
    private boolean connecting;     // under lock
    private int connectAttempts;    // under lock
    private boolean closed;         // under lock
    private long idCounter;         // under lock

    WsPoster(Shared shared) {
        this.shared = shared;
        shared.timer().scheduleWithFixedDelay(this::expire, 200, 200, TimeUnit.MILLISECONDS);
        synchronized (lock) {
            ensureConnecting();
        }
    }

    CompletableFuture<Posted> post(String topic, JsonNode payload, String contentType) {
        String key = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + shared.options().postTimeout().toNanos();
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new BackplaneException("closed", "the client is closed"));
            }
            if (pending.size() >= shared.options().maxInFlightPosts()) {
                return CompletableFuture.failedFuture(new BackplaneException("too-many-requests",
                        pending.size() + " posts are awaiting acknowledgement (maxInFlightPosts); retry shortly"));
            }
            String id = "p" + (++idCounter);
            Pending post = new Pending(id, FrameCodec.post(id, topic, payload, contentType, key), deadline);
            pending.put(id, post);
            if (link != null) {
                send(post);
            } else {
                ensureConnecting();
            }
            return post.future;
        }
    }

    int inFlight() {
        synchronized (lock) {
            return pending.size();
        }
    }

    void close() {
        List<Pending> failed;
        WsLink toClose;
        synchronized (lock) {
            closed = true;
            failed = new ArrayList<>(pending.values());
            pending.clear();
            toClose = link;
            link = null;
        }
        for (Pending post : failed) {
            completeExceptionally(post, new BackplaneException("closed", "the client was closed before the post was acknowledged"));
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    // under lock
    private void send(Pending post) {
        post.attempts++;
        post.awaitingRetry = false;
        link.send(post.op);
    }

    // under lock
    private void ensureConnecting() {
        if (connecting || link != null || closed) {
            return;
        }
        connecting = true;
        int node = shared.nodes().currentIndex();
        WsLink.open(shared.http(), shared.nodes(), node, shared.options(), this)
                .whenComplete((opened, error) -> onConnectResult(node, opened, error));
    }

    private void onConnectResult(int node, WsLink opened, Throwable error) {
        synchronized (lock) {
            connecting = false;
            if (error != null || opened.isClosed()) {
                shared.nodes().failed(node);
                scheduleReconnect();
                return;
            }
            if (closed) {
                opened.close();
                return;
            }
            link = opened;
            connectAttempts = 0;
            opened.request();
            for (Pending post : pending.values()) {
                if (!post.awaitingRetry) {
                    send(post);
                }
            }
        }
    }

    // under lock
    private void scheduleReconnect() {
        if (closed || pending.isEmpty()) {
            return; // nothing waits: the next post connects
        }
        long delay = shared.backoff().delayMillis(connectAttempts++);
        shared.timer().schedule(() -> {
            synchronized (lock) {
                ensureConnecting();
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onFrame(WsLink from, String text) {
        ServerFrame frame;
        try {
            frame = FrameCodec.parse(text);
        } catch (BackplaneException e) {
            shared.report(e);
            from.request();
            return;
        }
        if (frame instanceof ServerFrame.PostedFrame p) {
            onPosted(p.id(), p.posted());
        } else if (frame instanceof ServerFrame.Error e) {
            onError(e.id(), new BackplaneException(e.code(), e.message()));
        }
        from.request(); // answers are handled here and now, so the socket is always read
    }

    private void onPosted(String id, Posted posted) {
        Pending post;
        synchronized (lock) {
            post = id == null ? null : pending.remove(id);
        }
        if (post != null) {
            shared.callback(() -> post.future.complete(posted));
        }
    }

    private void onError(String id, BackplaneException error) {
        if (id == null) {
            shared.report(error);
            return;
        }
        Pending failed = null;
        synchronized (lock) {
            Pending post = pending.get(id);
            if (post == null) {
                return;
            }
            post.lastError = error;
            boolean transientError = error.code().equals("unavailable") || error.code().equals("too-many-requests");
            if (transientError && post.attempts < shared.options().maxPostAttempts()) {
                post.awaitingRetry = true;
                long delay = shared.backoff().delayMillis(post.attempts - 1);
                shared.timer().schedule(() -> retry(id), delay, TimeUnit.MILLISECONDS);
            } else {
                failed = pending.remove(id);
            }
        }
        if (failed != null) {
            completeExceptionally(failed, error);
        }
    }

    private void retry(String id) {
        synchronized (lock) {
            Pending post = pending.get(id);
            if (post != null && post.awaitingRetry) {
                post.awaitingRetry = false;
                if (link != null) {
                    send(post);
                } else {
                    ensureConnecting(); // sent on connect
                }
            }
        }
    }

    @Override
    public void onClosed(WsLink from, String reason) {
        List<Pending> exhausted = new ArrayList<>();
        synchronized (lock) {
            if (from != link) {
                return;
            }
            link = null;
            shared.nodes().failed(from.nodeIndex());
            for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
                Pending post = it.next();
                if (post.attempts >= shared.options().maxPostAttempts()) {
                    it.remove();
                    exhausted.add(post);
                }
            }
            scheduleReconnect();
        }
        for (Pending post : exhausted) {
            completeExceptionally(post, new BackplaneException("connection-failed", "the post was sent "
                    + post.attempts + " times and each connection was lost before its answer (" + reason + ")"));
        }
    }

    /** Fails posts whose {@link ClientOptions#postTimeout()} has passed. */
    private void expire() {
        long now = System.nanoTime();
        List<Pending> expired = new ArrayList<>();
        synchronized (lock) {
            for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
                Pending post = it.next();
                if (now - post.deadlineNanos > 0) {
                    it.remove();
                    expired.add(post);
                }
            }
        }
        for (Pending post : expired) {
            String last = post.lastError == null ? "" : " (last error: " + post.lastError.getMessage() + ")";
            completeExceptionally(post, new BackplaneException("timeout", "no acknowledgement within "
                    + shared.options().postTimeout().toMillis() + " ms after " + post.attempts + " sends" + last));
        }
    }

    private void completeExceptionally(Pending post, BackplaneException error) {
        shared.callback(() -> post.future.completeExceptionally(error));
    }
}
