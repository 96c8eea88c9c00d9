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
    private volatile MirrorSource mirrorSource;
    /** Bytes of mirror frames queued on one connection before its stream pauses replay, and before it is cut off. */
    static final long MIRROR_LOW_WATER = 2L * 1024 * 1024;
    static final long MIRROR_HIGH_WATER = 32L * 1024 * 1024;

    /** One inbound connection, as {@code /api/v1/wan/links} shows it. */
    public final class Inbound {
        final NetSocket socket;
        final Context context;
        final WanReceiver receiver;
        final WanFrames.Decoder decoder = new WanFrames.Decoder();
        volatile long lastReceivedMillis = System.currentTimeMillis();
        volatile boolean closed;
        long timer;
        /** Remote subscriptions this connection serves, by pattern (event loop of the connection). */
        final Map<String, AutoCloseable> mirrors = new java.util.HashMap<>();
        final java.util.concurrent.atomic.AtomicLong mirrorQueued = new java.util.concurrent.atomic.AtomicLong();
        final List<Runnable> onWritable = new CopyOnWriteArrayList<>();

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
            for (AutoCloseable m : mirrors.values()) {
                try {
                    m.close();
                } catch (Exception e) {
                    log.warn("closing a mirror stream to {}: {}", receiver.originLan(), e.toString());
                }
            }
            mirrors.clear();
            log.info("WAN link from {} ({}) closed: {}", receiver.originLan(), remoteAddress(), reason);
            socket.close();
        }
    }

    public WanLinkServer(Vertx vertx, NetServerOptions options, WanApplier applier) {
        this.vertx = vertx;
        this.options = options;
        this.applier = applier;
    }

    /** Serves remote subscriptions from {@code source} (without one, a MirrorSubscribe closes the connection). */
    public WanLinkServer mirrorSource(MirrorSource source) {
        this.mirrorSource = source;
        return this;
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
            if (f instanceof WanFrame.MirrorSubscribe m) {
                openMirror(in, m);
                continue;
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

    /** A peer LAN's remote subscription: streamed on this connection until it closes. */
    private void openMirror(Inbound in, WanFrame.MirrorSubscribe m) {
        MirrorSource source = mirrorSource;
        if (in.receiver.originLan() == null) {
            in.close("a MirrorSubscribe before Hello");
            return;
        }
        if (source == null) {
            in.close("this node serves no remote subscriptions");
            return;
        }
        if (in.mirrors.containsKey(m.pattern())) {
            return; // asked again on one connection: the stream already runs
        }
        MirrorSource.Out out = new MirrorSource.Out() {
            @Override
            public boolean send(WanFrame frame) {
                if (in.closed) {
                    return false;
                }
                byte[] bytes = WanFrames.encode(frame);
                if (in.mirrorQueued.addAndGet(bytes.length) > MIRROR_HIGH_WATER) {
                    return false;
                }
                // Counted until the event loop has written it: a write from another thread is only queued
                // on the connection's context, so the socket's own write queue cannot bound it yet.
                in.socket.write(Buffer.buffer(bytes)).onComplete(ar -> {
                    long left = in.mirrorQueued.addAndGet(-bytes.length);
                    if (left < MIRROR_LOW_WATER && left + bytes.length >= MIRROR_LOW_WATER) {
                        in.onWritable.forEach(Runnable::run);
                    }
                });
                return true;
            }

            @Override
            public boolean writable() {
                return !in.closed && in.mirrorQueued.get() < MIRROR_LOW_WATER;
            }

            @Override
            public void onWritable(Runnable task) {
                in.onWritable.add(task);
            }

            @Override
            public void fail(String reason) {
                in.context.runOnContext(v -> in.close(reason));
            }
        };
        try {
            in.mirrors.put(m.pattern(), source.open(in.receiver.originLan(), m, out));
            log.info("remote subscription of LAN {} to {} ({} topics resumed)", in.receiver.originLan(), m.pattern(),
                    m.resume().size());
        } catch (WanProtocolException e) {
            in.close(e.getMessage());
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
