package io.backplane.node.http;

import io.backplane.node.topic.OutboundFrame;
import io.backplane.node.topic.Payload;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draining a node before a restart ({@code POST /api/v1/admin/drain}, docs/OPERATIONS.md "Rolling
 * restart"). In order:
 * <ol>
 *   <li>the node stops taking work: {@code /health} answers 503 {@code draining} (load balancers and
 *       readiness probes send nobody new), and posts, reads, new subscriptions and websocket upgrades
 *       answer 503 {@code unavailable} (clients retry at another node with their idempotency key);</li>
 *   <li>posts already accepted are answered (at most {@link #INFLIGHT_WAIT_SECONDS} s);</li>
 *   <li>every websocket gets an {@code error} frame {@code unavailable} with {@code "reconnect":true}
 *       and is closed with 1001 (going away): subscribers resume elsewhere with {@code fromSeq};</li>
 *   <li>the node asks its process to stop, which leaves the LAN's view cleanly (as SIGTERM does),
 *       closes RocksDB and exits 0.</li>
 * </ol>
 * Runs on a thread of its own, never on an event loop.
 */
public final class Drain {
    private static final Logger log = LoggerFactory.getLogger(Drain.class);
    static final int INFLIGHT_WAIT_SECONDS = 10;
    static final int CLOSE_WAIT_SECONDS = 2;
    static final String REASON = "node is draining for a restart";

    private final IntSupplier inflightPosts;
    private final Runnable exit;
    private final Set<WsConnection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    /** {@code exit} asks the process to shut down cleanly (leave the view, close the store, exit 0). */
    public Drain(IntSupplier inflightPosts, Runnable exit) {
        this.inflightPosts = inflightPosts;
        this.exit = exit;
    }

    public boolean draining() {
        return draining;
    }

    void track(WsConnection connection) {
        connections.add(connection);
        if (draining) {
            connection.goAway(goAwayFrame()); // opened just as the drain began
        }
    }

    void untrack(WsConnection connection) {
        connections.remove(connection);
    }

    /** Starts the drain; false when one is already under way. */
    synchronized boolean start() {
        if (draining) {
            return false;
        }
        draining = true;
        Thread thread = new Thread(this::run, "drain");
        thread.setDaemon(true);
        thread.start();
        return true;
    }

    private void run() {
        long start = System.nanoTime();
        log.info("draining: refusing new work, waiting for {} accepted posts", inflightPosts.getAsInt());
        long deadline = start + TimeUnit.SECONDS.toNanos(INFLIGHT_WAIT_SECONDS);
        while (inflightPosts.getAsInt() > 0 && System.nanoTime() < deadline) {
            sleep(5);
        }
        int open = connections.size();
        OutboundFrame.Control frame = goAwayFrame();
        connections.forEach(c -> c.goAway(frame));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            sleep(5);
        }
        log.info("drained in {} ms: {} websockets told to reconnect elsewhere; leaving the LAN and stopping",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), open);
        exit.run();
    }

    /** The reconnect hint: the contract's {@code error} frame, plus {@code "reconnect":true}. */
    static OutboundFrame.Control goAwayFrame() {
        return new OutboundFrame.Control("{\"type\":\"error\",\"error\":\"unavailable\",\"message\":"
                + new String(Payload.jsonString(REASON + "; reconnect to another node of the LAN and resume with fromSeq"),
                        StandardCharsets.UTF_8) + ",\"reconnect\":true}");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
