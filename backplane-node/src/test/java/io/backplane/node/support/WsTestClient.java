package io.backplane.node.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A websocket client for tests on the JDK's {@link WebSocket}: records every server frame as JSON.
 * With {@code autoRead=false} it stops asking for frames, so TCP back-pressure builds up on the
 * server exactly as with a stalled real subscriber.
 */
public final class WsTestClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final WebSocket socket;
    private final StringBuilder partial = new StringBuilder();
    private volatile boolean autoRead;
    private volatile Integer closeCode;
    private volatile Throwable error;

    private WsTestClient(URI uri, boolean autoRead) {
        this.autoRead = autoRead;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, new Listener()).join();
    }

    public static WsTestClient connect(String httpBase) {
        return new WsTestClient(URI.create(httpBase.replaceFirst("^http", "ws") + "/api/v1/ws"), true);
    }

    /** A client that reads nothing after the first frame until {@link #resumeReading()}. */
    public static WsTestClient connectStalled(String httpBase) {
        return new WsTestClient(URI.create(httpBase.replaceFirst("^http", "ws") + "/api/v1/ws"), false);
    }

    public void send(String json) {
        socket.sendText(json, true).join();
    }

    public void send(Object... keyValues) {
        java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        try {
            send(JSON.writeValueAsString(map));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next frame, or fails after the timeout. */
    public JsonNode next(Duration timeout) {
        try {
            JsonNode frame = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (frame == null) {
                throw new AssertionError("no frame within " + timeout);
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    public JsonNode next() {
        return next(Duration.ofSeconds(10));
    }

    /** Frames up to and including the first that matches, in arrival order. */
    public List<JsonNode> until(Predicate<JsonNode> last, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> seen = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no matching frame within " + timeout + "; saw " + seen.size() + " frames, last: "
                        + (seen.isEmpty() ? "none" : seen.get(seen.size() - 1)));
            }
            JsonNode frame = next(Duration.ofNanos(left));
            seen.add(frame);
            if (last.test(frame)) {
                return seen;
            }
        }
    }

    /** The frame received within the timeout, or null if none came. */
    public JsonNode poll(Duration timeout) {
        try {
            return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public void resumeReading() {
        autoRead = true;
        socket.request(Long.MAX_VALUE / 2);
    }

    public Integer closeCode() {
        return closeCode;
    }

    /** True once the server closed the connection (with a close frame or by dropping it). */
    public boolean isClosed() {
        return closeCode != null || error != null;
    }

    public Throwable error() {
        return error;
    }

    @Override
    public void close() {
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    frames.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    frames.add(JSON.createObjectNode().put("type", "unparseable").put("text", partial.toString()));
                }
                partial.setLength(0);
            }
            if (autoRead) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable failure) {
            error = failure;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode = statusCode;
            return null;
        }
    }
}
