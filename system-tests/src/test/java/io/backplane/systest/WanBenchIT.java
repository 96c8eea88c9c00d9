package io.backplane.systest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * WAN benchmark (docs/BENCHMARKS.md), opt-in: {@code -Dsystest.wan.bench=true}. Two LANs (3 + 3 nodes by
 * default, {@code -Dsystest.wan.bench.origin=N}, {@code -Dsystest.wan.bench.dest=N}) on loopback, the link through the fault proxy with
 * {@code -Dsystest.wan.bench.delay=20} ms added each way. Measures (1) goodput: posts to {@code T@NEWYORK}
 * with a window of in-flight posts, delivered to a websocket subscriber at NEWYORK; (2) post-to-remote-
 * delivery latency at a fixed rate, from each post's intended send time; (3) the time to drain a backlog
 * spooled while the link was cut. Prints figures; asserts nothing about speed.
 */
@EnabledIfSystemProperty(named = "systest.wan.bench", matches = "true")
class WanBenchIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void measure() throws Exception {
        Settings settings = Settings.fromSystemProperties("wan-bench");
        SystemTestRun.deleteRecursively(settings.runDir());
        Files.createDirectories(settings.runDir());
        int delay = Integer.getInteger("systest.wan.bench.delay", 20);
        int seconds = Integer.getInteger("systest.wan.bench.seconds", 20);
        int rate = Integer.getInteger("systest.wan.bench.rate", 200);
        int backlog = Integer.getInteger("systest.wan.bench.backlog", 20_000);
        int window = Integer.getInteger("systest.wan.bench.window", 128);
        List<String> out = new ArrayList<>();
        try (WanLans lans = WanLans.layout(Integer.getInteger("systest.wan.bench.origin", 3), Integer.getInteger("systest.wan.bench.dest", 3), settings.runDir(), settings.jar())) {
            lans.start();
            lans.proxies().forEach(p -> p.delayMillis(delay));
            Receiver rx = new Receiver();
            WebSocket ws = http.newWebSocketBuilder().buildAsync(lans.dest().get(0).wsUri(), rx).get();
            ws.sendText("{\"op\":\"subscribe\",\"id\":\"s\",\"topic\":\"/B/**\"}", true).get();

            // (1) goodput, closed loop with a window
            long[] g = run(lans, "/B/G", seconds, 0, window, rx);
            out.add(String.format("goodput: %d posts in %d s with %d in flight -> %.0f delivered/s at NEWYORK (spooled %.0f/s)",
                    g[0], seconds, window, g[1] * 1e9 / g[2], g[0] * 1e9 / g[3]));
            // (2) latency at a fixed rate
            rx.latencies.clear();
            long[] l = run(lans, "/B/L", seconds, rate, 1024, rx);
            long[] lat = rx.latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            out.add(String.format("latency at %d posts/s (%d delivered): post-to-remote-delivery p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                    rate, lat.length, pct(lat, 50) / 1e6, pct(lat, 99) / 1e6, lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6));
            // (3) a backlog spooled while the link is cut, then drained
            lans.cut(true);
            long before = rx.count.get();
            long[] b = run(lans, "/B/D", 0, 0, window, rx, backlog, false);
            long healAt = System.nanoTime();
            lans.cut(false);
            while (rx.count.get() - before < b[0] && System.nanoTime() - healAt < Duration.ofMinutes(3).toNanos()) {
                Thread.sleep(20);
            }
            double drain = (System.nanoTime() - healAt) / 1e9;
            out.add(String.format("backlog: %d posts spooled in %.1f s while cut; drained to NEWYORK's subscriber %.1f s after the heal (%.0f msgs/s)",
                    b[0], b[3] / 1e9, drain, b[0] / drain));
            ws.abort();
        }
        String report = "WAN bench, delay " + delay + " ms each way\n" + String.join("\n", out) + "\n";
        Files.writeString(settings.runDir().resolveSibling("wan-bench.txt"), report);
        System.out.println(report);
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
    }

    private long[] run(WanLans lans, String topic, int seconds, int rate, int window, Receiver rx) throws Exception {
        return run(lans, topic, seconds, rate, window, rx, Long.MAX_VALUE, true);
    }

    /** Returns {posted, delivered (for this topic), nanos until delivered, nanos spent posting}. */
    private long[] run(WanLans lans, String topic, int seconds, int rate, int window, Receiver rx, long count,
                       boolean awaitDelivery) throws Exception {
        Semaphore inFlight = new Semaphore(window);
        AtomicLong posted = new AtomicLong();
        long start = System.nanoTime();
        long end = seconds == 0 ? Long.MAX_VALUE : start + Duration.ofSeconds(seconds).toNanos();
        long baseline = rx.perTopic.getOrDefault(topic, new AtomicLong()).get();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (long i = 0; i < count && System.nanoTime() < end; i++) {
            long intended = rate == 0 ? System.nanoTime() : start + i * 1_000_000_000L / rate;
            while (rate > 0 && System.nanoTime() < intended) {
                Thread.onSpinWait();
            }
            inFlight.acquire();
            NodeProcess node = lans.origin().get((int) (i % lans.origin().size()));
            HttpRequest req = HttpRequest.newBuilder(URI.create(node.httpUri() + "/api/v1/topics" + topic + "@" + WanLans.DEST))
                    .header("Content-Type", "application/json").header("Idempotency-Key", topic + "-" + i)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"t\":" + intended + ",\"pad\":\"" + "x".repeat(100) + "\"}")).build();
            all.add(http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).handle((r, e) -> {
                inFlight.release();
                if (e == null && r.statusCode() / 100 == 2) {
                    posted.incrementAndGet();
                }
                return null;
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        long postedNanos = System.nanoTime() - start;
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (rx.perTopic.computeIfAbsent(topic, t -> new AtomicLong()).get() - baseline < posted.get()
                && System.nanoTime() < deadline && awaitDelivery) {
            Thread.sleep(10);
        }
        long delivered = rx.perTopic.computeIfAbsent(topic, t -> new AtomicLong()).get() - baseline;
        return new long[] {posted.get(), delivered, System.nanoTime() - start, postedNanos};
    }

    /** A websocket subscriber: counts per topic, and latency from each payload's intended send time. */
    private static final class Receiver implements WebSocket.Listener {
        final ConcurrentHashMap<String, AtomicLong> perTopic = new ConcurrentHashMap<>();
        final AtomicLong count = new AtomicLong();
        final List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.nanoTime();
                try {
                    JsonNode f = JSON.readTree(partial.toString());
                    if ("message".equals(f.path("type").asText())) {
                        JsonNode m = f.path("message");
                        perTopic.computeIfAbsent(m.path("topic").asText(), t -> new AtomicLong()).incrementAndGet();
                        count.incrementAndGet();
                        latencies.add(now - m.path("payload").path("t").asLong());
                    }
                } catch (Exception e) {
                    // not a frame of ours
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }
}
