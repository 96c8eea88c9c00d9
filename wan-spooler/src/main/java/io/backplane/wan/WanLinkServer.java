package io.backplane.wan;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts peer LANs' spoolers ({@code --wan-port}) and runs a {@link WanReceiver} per connection on
 * that connection's event loop. Nothing here blocks: the applier answers with futures.
 *
 * <p>Fencing on this node: the highest epoch seen per origin LAN is kept, a Hello below it is refused,
 * and a Hello above it closes every older connection of that origin (its frames stop here). The
 * applier fences durably as well, at the point of the LAN's total order where it decides.
 * TLS: pass {@link NetServerOptions} with SSL set; the protocol does not change.
 */
public final class WanLinkServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WanLinkServer.class);
    private static final long DEAD_AFTER_MILLIS = 6000;

    private final Vertx vertx;
    private final NetServerOptions options;
    private final WanApplier applier;
    private final Map<String, Long> maxEpoch = new ConcurrentHashMap<>();
    private final List<Inbound> connections = new CopyOnWriteArrayList<>();
    private final WanReceiver.Counters counters = new WanReceiver.Counters();
    private NetServer server;

    /** One inbound connection, as {@code /api/v1/wan/links} shows it. */
    public final class Inbound {
        final NetSocket socket;
        final Context context;
        final WanReceiver receiver;
        final WanFrames.Decoder decoder = new WanFrames.Decoder();
        volatile long lastReceivedMillis = System.currentTimeMillis();
        volatile boolean closed;
        long timer;

        Inbound(NetSocket socket, Context context) {
            this.socket = socket;
            this.context = context;
            this.receiver = new WanReceiver(applier, counters);
        }

        public String originLan() {
            return receiver.originLan();
        }

        public long epoch() {
            return receiver.epoch();
        }

        public String remoteAddress() {
            return String.valueOf(socket.remoteAddress());
        }

        void close(String reason) {
            if (closed) {
                return;
            }
            closed = true;
            connections.remove(this);
            vertx.cancelTimer(timer);
            log.info("WAN link from {} ({}) closed: {}", receiver.originLan(), remoteAddress(), reason);
            socket.close();
        }
    }

    public WanLinkServer(Vertx vertx, NetServerOptions options, WanApplier applier) {
        this.vertx = vertx;
        this.options = options;
        this.applier = applier;
    }

    /** Listens; blocks the calling thread (never an event loop) until bound. Returns the port. */
    public int listen(String host, int port) throws Exception {
        NetServerOptions o = new NetServerOptions(options).setHost(host).setPort(port).setTcpNoDelay(true);
        server = vertx.createNetServer(o).connectHandler(this::accept);
        return server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).actualPort();
    }

    private void accept(NetSocket socket) {
        Context context = vertx.getOrCreateContext();
        Inbound in = new Inbound(socket, context);
        connections.add(in);
        socket.handler(buffer -> onBytes(in, buffer));
        socket.closeHandler(v -> in.close("closed by peer"));
        socket.exceptionHandler(e -> in.close("socket error: " + e.getMessage()));
        in.timer = vertx.setPeriodic(1000, id -> {
            if (System.currentTimeMillis() - in.lastReceivedMillis > DEAD_AFTER_MILLIS) {
                in.close("nothing received for " + DEAD_AFTER_MILLIS + " ms");
            }
        });
    }

    private void onBytes(Inbound in, Buffer buffer) {
        if (in.closed) {
            return;
        }
        in.lastReceivedMillis = System.currentTimeMillis();
        List<WanFrame> frames;
        try {
            frames = in.decoder.feed(buffer.getBytes());
        } catch (WanProtocolException e) {
            in.close(e.getMessage());
            return;
        }
        for (WanFrame f : frames) {
            if (in.closed) {
                return;
            }
            if (f instanceof WanFrame.Hello h) {
                long seen = maxEpoch.getOrDefault(h.originLan(), Long.MIN_VALUE);
                if (h.epoch() < seen) {
                    handle(in, new WanReceiver.Result(List.of(new WanFrame.Refuse("epoch " + h.epoch()
                            + " of LAN " + h.originLan() + " is fenced by epoch " + seen)), new WanReceiver.Close("stale epoch")));
                    return;
                }
            }
            handle(in, in.receiver.onFrame(f, (seq, outcome, failure) ->
                    in.context.runOnContext(v -> handle(in, in.receiver.onCompleted(seq, outcome, failure)))));
            if (f instanceof WanFrame.Hello h && !in.closed && in.receiver.originLan() != null) {
                maxEpoch.merge(h.originLan(), h.epoch(), Math::max);
                for (Inbound other : connections) {
                    if (other != in && h.originLan().equals(other.originLan()) && other.epoch() < h.epoch()) {
                        other.context.runOnContext(v -> other.close("fenced by a newer epoch " + h.epoch()));
                    }
                }
                log.info("WAN link from {} (epoch {}, node {}) accepted from {}", h.originLan(), h.epoch(), h.node(),
                        in.remoteAddress());
            }
        }
    }

    private void handle(Inbound in, WanReceiver.Result r) {
        if (in.closed) {
            return;
        }
        if (!r.frames().isEmpty() && r.frames().get(0) instanceof WanFrame.Ack) {
            CrashPoints.hit(CrashPoints.AFTER_APPLY_BEFORE_ACK);
        }
        for (WanFrame f : r.frames()) {
            in.socket.write(Buffer.buffer(WanFrames.encode(f)));
        }
        if (r.close() != null) {
            in.close(r.close().reason());
        }
    }

    /** Inbound connections that said Hello. */
    public List<Inbound> inbound() {
        List<Inbound> out = new ArrayList<>();
        for (Inbound in : connections) {
            if (in.originLan() != null) {
                out.add(in);
            }
        }
        return out;
    }

    public WanReceiver.Counters counters() {
        return counters;
    }

    @Override
    public void close() {
        for (Inbound in : connections) {
            in.close("shutting down");
        }
        if (server != null) {
            try {
                server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("WAN server did not close cleanly: {}", e.toString());
            }
        }
    }
}
