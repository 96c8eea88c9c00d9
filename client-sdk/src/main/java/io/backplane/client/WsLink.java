package io.backplane.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One websocket to a node: reassembles text frames, serialises sends (the JDK allows one outstanding
 * send at a time), and leaves read demand to its owner: after a whole frame is handed to
 * {@link Sink#onFrame} nothing more is read until the owner calls {@link #request()}. That is the
 * SDK's backpressure: an owner that stops requesting stops reading the socket, TCP pushes back, and
 * the node eventually drops the connection as a slow consumer.
 */
final class WsLink {
    /** Receives a link's frames and its end; called on the HttpClient's executor, one call at a time. */
    interface Sink {
        void onFrame(WsLink link, String text);

        /** Called once, when the socket closed or failed for any reason. */
        void onClosed(WsLink link, String reason);
    }

    /** Frames larger than this (chars) are a protocol error: the node's limit is 1 MiB + 64 KiB. */
    static final int MAX_FRAME_CHARS = 4 * 1024 * 1024;

    private final Sink sink;
    private final int nodeIndex;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object sendLock = new Object();
    private volatile WebSocket ws;
    private CompletableFuture<?> sendTail = CompletableFuture.completedFuture(null); // under sendLock

    private WsLink(Sink sink, int nodeIndex) {
        this.sink = sink;
        this.nodeIndex = nodeIndex;
    }

    /** Opens a websocket to node {@code nodeIndex}; the first frame is requested by the caller. */
    static CompletableFuture<WsLink> open(HttpClient http, Nodes nodes, int nodeIndex, ClientOptions options, Sink sink) {
        WsLink link = new WsLink(sink, nodeIndex);
        URI uri = nodes.websocket(nodeIndex);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(options.connectTimeout());
        if (options.bearerToken() != null) {
            builder.header("Authorization", "Bearer " + options.bearerToken());
        }
        return builder.buildAsync(uri, link.new Listener()).thenApply(ws -> {
            link.ws = ws;
            return link;
        });
    }

    int nodeIndex() {
        return nodeIndex;
    }

    /** Reads one more whole frame. */
    void request() {
        WebSocket socket = ws;
        if (socket != null && !closed.get()) {
            socket.request(1);
        }
    }

    /** Queues a text frame; the returned stage fails when the socket is gone. */
    CompletableFuture<?> send(String text) {
        synchronized (sendLock) {
            CompletableFuture<?> next = sendTail.handle((r, e) -> null).thenCompose(v -> {
                WebSocket socket = ws;
                if (socket == null || closed.get()) {
                    return CompletableFuture.failedFuture(new BackplaneException("closed", "websocket is closed"));
                }
                return socket.sendText(text, true);
            });
            sendTail = next;
            return next;
        }
    }

    /** Closes politely (close frame), and for sure after a short grace period. */
    void close() {
        WebSocket socket = ws;
        if (socket == null || !markClosed("closed by the client")) {
            return;
        }
        synchronized (sendLock) {
            sendTail.handle((r, e) -> null)
                    .thenCompose(v -> socket.sendClose(WebSocket.NORMAL_CLOSURE, "client closed"))
                    .orTimeout(1, TimeUnit.SECONDS)
                    .whenComplete((r, e) -> socket.abort());
        }
    }

    /** Drops the connection at once (a node we no longer trust, or shutdown). */
    void abort(String reason) {
        WebSocket socket = ws;
        if (socket != null) {
            socket.abort();
        }
        markClosed(reason);
    }

    boolean isClosed() {
        return closed.get();
    }

    private boolean markClosed(String reason) {
        if (closed.compareAndSet(false, true)) {
            sink.onClosed(this, reason);
            return true;
        }
        return false;
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            ws = webSocket;
            // No request here: the owner asks for the first frame once it is ready for it.
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (closed.get()) {
                return null;
            }
            if (!last || partial.length() > 0) {
                if (partial.length() + data.length() > MAX_FRAME_CHARS) {
                    partial.setLength(0);
                    abort("the node sent a frame over " + MAX_FRAME_CHARS + " chars");
                    return null;
                }
                partial.append(data);
                if (!last) {
                    webSocket.request(1); // a fragment is not a frame: keep reading it
                    return null;
                }
                String text = partial.toString();
                partial.setLength(0);
                sink.onFrame(WsLink.this, text);
                return null;
            }
            sink.onFrame(WsLink.this, data.toString());
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1); // the contract has no binary frames; skip them
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            webSocket.request(1); // the JDK answers the ping itself
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            markClosed("closed by the node (" + statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")");
            webSocket.abort();
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            markClosed("connection failed: " + error);
        }
    }
}
