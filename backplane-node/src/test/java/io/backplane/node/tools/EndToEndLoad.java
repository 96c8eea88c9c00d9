package io.backplane.node.tools;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal end-to-end load driver (until the bench tool of client-sdk exists): publishers post
 * fixed-size JSON payloads over websockets with a bounded window of unacknowledged posts, subscribers
 * take every message of the topic, and the driver prints acknowledged posts/s and deliveries/s.
 *
 * <pre>java -cp backplane-node/target/test-classes:$(cat cp.txt) io.backplane.node.tools.EndToEndLoad \
 *     URL PUBLISHERS SUBSCRIBERS PAYLOAD_BYTES SECONDS WINDOW</pre>
 */
public final class EndToEndLoad {
    private EndToEndLoad() {
    }

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:8080";
        int publishers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int subscribers = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int payloadBytes = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        int window = args.length > 5 ? Integer.parseInt(args[5]) : 256;
        String topic = "/LOAD/T" + System.nanoTime();
        URI ws = URI.create(url.replaceFirst("^http", "ws") + "/api/v1/ws");
        HttpClient http = HttpClient.newHttpClient();

        AtomicLong delivered = new AtomicLong();
        List<WebSocket> keep = new ArrayList<>();
        for (int s = 0; s < subscribers; s++) {
            WebSocket socket = http.newWebSocketBuilder().buildAsync(ws, new Counting(delivered, null)).join();
            socket.sendText("{\"op\":\"subscribe\",\"id\":\"s\",\"topic\":\"" + topic + "\"}", true).join();
            keep.add(socket);
        }
        Thread.sleep(500);
        // The payload is a JSON string of payloadBytes characters (the envelope adds its own fields).
        String payload = "\"" + "x".repeat(Math.max(0, payloadBytes - 2)) + "\"";
        AtomicLong acked = new AtomicLong();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            Semaphore inFlight = new Semaphore(window);
            WebSocket socket = http.newWebSocketBuilder().buildAsync(ws, new Counting(acked, inFlight)).join();
            keep.add(socket);
            Thread t = new Thread(() -> {
                String frame = "{\"op\":\"post\",\"topic\":\"" + topic + "\",\"payload\":" + payload + "}";
                while (System.nanoTime() < deadline) {
                    try {
                        if (inFlight.tryAcquire(1, TimeUnit.SECONDS)) {
                            socket.sendText(frame, true).join();
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "publisher-" + p);
            threads.add(t);
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        long lastAcked = 0;
        long lastDelivered = 0;
        for (int i = 0; i < seconds; i++) {
            Thread.sleep(1000);
            long a = acked.get();
            long d = delivered.get();
            System.err.printf("t=%ds acked/s=%d delivered/s=%d%n", i + 1, a - lastAcked, d - lastDelivered);
            lastAcked = a;
            lastDelivered = d;
        }
        for (Thread t : threads) {
            t.join();
        }
        Thread.sleep(1000); // let in-flight posts and deliveries land
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("{\"publishers\":%d,\"subscribers\":%d,\"payloadBytes\":%d,\"seconds\":%.1f,"
                        + "\"acked\":%d,\"ackedPerSec\":%.0f,\"delivered\":%d,\"deliveredPerSec\":%.0f}%n",
                publishers, subscribers, payloadBytes, elapsed, acked.get(), acked.get() / elapsed,
                delivered.get(), delivered.get() / elapsed);
        keep.forEach(WebSocket::abort);
        System.exit(0);
    }

    /** Counts "message" (or "posted") frames; releases a window permit per acknowledgement. */
    private static final class Counting implements WebSocket.Listener {
        private final AtomicLong counter;
        private final Semaphore window;
        private final StringBuilder head = new StringBuilder(); // a frame may arrive in several parts

        Counting(AtomicLong counter, Semaphore window) {
            this.counter = counter;
            this.window = window;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (head.length() < 20) {
                head.append(data, 0, Math.min(data.length(), 20));
            }
            if (last) {
                String text = head.toString();
                head.setLength(0);
                if (window != null && text.startsWith("{\"type\":\"posted\"")) {
                    counter.incrementAndGet();
                    window.release();
                } else if (window == null && text.startsWith("{\"type\":\"message\"")) {
                    counter.incrementAndGet();
                }
            }
            return null;
        }
    }
}
