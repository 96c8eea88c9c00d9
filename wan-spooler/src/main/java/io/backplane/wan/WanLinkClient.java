package io.backplane.wan;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one {@link WanSender} over TCP to a peer LAN: connects to the listed nodes in turn, with
 * exponential back-off (100 ms doubling to 5 s, jittered) between failed attempts, sends Hello, then
 * ships frames as the sender says. Everything the sender does runs on this link's own thread
 * ({@code backplane-wan-LAN}), which also reads the spool (RocksDB), so no event loop ever waits.
 * TLS: pass {@link NetClientOptions} with SSL set.
 */
public final class WanLinkClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WanLinkClient.class);
    private static final long POLL_MILLIS = 2;
    private static final int FRAMES_PER_POLL = 512;

    /** A peer node's WAN address. */
    public record Address(String host, int port) {
        public static Address parse(String hostPort) {
            int colon = hostPort.lastIndexOf(':');
            return new Address(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public enum State { CONNECTING, UP, DOWN, REFUSED, STOPPED }

    private final Vertx vertx;
    private final NetClient client;
    private final List<Address> addresses;
    private final WanSender sender;
    private final SpoolReader spool;
    private final String peerLan;
    private final ScheduledExecutorService thread;
    private NetSocket socket; // link thread only
    private WanFrames.Decoder decoder;
    private int nextAddress;
    private int failures;
    private volatile State state = State.CONNECTING;
    private volatile String lastError = "";
    private volatile Address connectedTo;
    private boolean stopped;
    /** Remote subscriptions carried over this link (null: none); the rest is link-thread state for them. */
    private volatile MirrorSink mirror;
    private final java.util.Set<String> mirrorsAsked = new java.util.HashSet<>();
    private boolean readingPaused;

    public WanLinkClient(Vertx vertx, NetClientOptions options, String peerLan, List<Address> addresses,
                         WanSender sender, SpoolReader spool) {
        this.vertx = vertx;
        this.client = vertx.createNetClient(new NetClientOptions(options).setTcpNoDelay(true).setConnectTimeout(3000));
        this.peerLan = peerLan;
        this.addresses = List.copyOf(addresses);
        this.sender = sender;
        this.spool = spool;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "backplane-wan-" + peerLan);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs on the link's thread; a task arriving after {@link #close} (a late socket event) is dropped. */
    private void onThread(Runnable task) {
        try {
            thread.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // stopped: nothing more to do for this link
        }
    }

    /** Carries this LAN's remote subscriptions to the peer over this link (set before {@link #start}). */
    public WanLinkClient mirror(MirrorSink sink) {
        this.mirror = sink;
        return this;
    }

    public void start() {
        thread.execute(this::connect);
        thread.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    public State state() {
        return state;
    }

    public String lastError() {
        return lastError;
    }

    public Address connectedTo() {
        return connectedTo;
    }

    public WanSender sender() {
        return sender;
    }

    private void connect() {
        if (stopped) {
            return;
        }
        Address a = addresses.get(Math.floorMod(nextAddress++, addresses.size()));
        state = socket == null ? State.CONNECTING : state;
        client.connect(a.port(), a.host()).onComplete(ar -> onThread(() -> {
            if (stopped) {
                if (ar.succeeded()) {
                    ar.result().close();
                }
                return;
            }
            if (ar.failed()) {
                lastError = "connect to " + a + ": " + ar.cause().getMessage();
                retryLater();
                return;
            }
            NetSocket s = ar.result();
            socket = s;
            decoder = new WanFrames.Decoder();
            connectedTo = a;
            s.handler(b -> onThread(() -> onBytes(s, b)));
            s.closeHandler(v -> onThread(() -> onClosed(s, "closed by peer")));
            s.exceptionHandler(e -> onThread(() -> onClosed(s, "socket error: " + e.getMessage())));
            write(sender.onConnected(System.currentTimeMillis()));
        }));
    }

    private void retryLater() {
        failures++;
        long delay = Math.min(5000, 100L << Math.min(failures - 1, 6));
        delay = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        if (state != State.REFUSED) {
            state = State.DOWN;
        }
        if (!thread.isShutdown()) {
            thread.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }
    }

    private void onBytes(NetSocket s, Buffer b) {
        if (s != socket) {
            return;
        }
        try {
            long now = System.currentTimeMillis();
            for (WanFrame f : decoder.feed(b.getBytes())) {
                if (s != socket) {
                    return; // dropped by an earlier frame of this read
                }
                if (f instanceof WanFrame.MirrorData || f instanceof WanFrame.MirrorEnd) {
                    onMirrorFrame(f);
                    continue;
                }
                boolean wasWelcomed = sender.isWelcomed();
                write(sender.onFrame(f, now, spool));
                if (f instanceof WanFrame.Refuse r) {
                    state = State.REFUSED;
                    lastError = "refused: " + r.reason();
                    drop("refused by " + peerLan + ": " + r.reason());
                    return;
                }
                if (!wasWelcomed && sender.isWelcomed()) {
                    failures = 0;
                    state = State.UP;
                    lastError = "";
                    log.info("WAN link to {} up via {} (epoch {}, resuming at spool seq {})", peerLan, connectedTo,
                            sender.epoch(), sender.nextToSend());
                }
            }
        } catch (WanProtocolException e) {
            drop("protocol error: " + e.getMessage());
        }
    }

    private void onMirrorFrame(WanFrame f) {
        MirrorSink sink = mirror;
        if (sink == null || !sender.isWelcomed()) {
            throw new WanProtocolException("a " + f.getClass().getSimpleName() + " nobody asked for");
        }
        if (f instanceof WanFrame.MirrorData d) {
            sink.onData(d);
        } else if (f instanceof WanFrame.MirrorEnd e) {
            // The node stopped serving the stream (it left its LAN's majority, or cannot read history):
            // move to another node of the peer LAN, where every pattern resumes from the mirrors' state.
            log.warn("LAN {} ended the remote subscription {}: {}", peerLan, e.pattern(), e.reason());
            drop("the peer node ended remote subscription " + e.pattern());
        }
    }

    /** Asks the peer for patterns not asked for on this connection yet, and pauses reading while the sink is behind. */
    private void pollMirror() {
        MirrorSink sink = mirror;
        if (sink == null || !sender.isWelcomed()) {
            return;
        }
        String failure = sink.takeFailure();
        if (failure != null) {
            drop("remote subscriptions start over: " + failure);
            return;
        }
        boolean behind = sink.backlogged();
        if (behind != readingPaused) {
            readingPaused = behind;
            if (behind) {
                socket.pause();
            } else {
                socket.resume();
            }
        }
        for (String pattern : sink.patterns()) {
            if (mirrorsAsked.contains(pattern)) {
                continue;
            }
            List<WanFrame.Resume> resume = sink.resume(pattern);
            if (resume.size() > WanFrames.MAX_RESUME) {
                // Topics beyond the bound are streamed from their start and recognised as duplicates.
                log.warn("remote subscription {} of LAN {} resumes {} topics; only {} fit one request", pattern, peerLan,
                        resume.size(), WanFrames.MAX_RESUME);
                resume = resume.subList(0, WanFrames.MAX_RESUME);
            }
            write(List.of(new WanFrame.MirrorSubscribe(pattern, resume)));
            mirrorsAsked.add(pattern);
        }
    }

    private void poll() {
        try {
            if (socket == null || stopped) {
                return;
            }
            long now = System.currentTimeMillis();
            if (sender.isDead(now)) {
                drop("nothing received for a while");
                return;
            }
            pollMirror();
            if (socket == null) {
                return;
            }
            // TCP back-pressure (a slow link or peer): no new data, but heartbeats still go out.
            write(sender.poll(now, spool, socket.writeQueueFull() ? 0 : FRAMES_PER_POLL));
        } catch (RuntimeException e) {
            log.error("WAN link to {}: {}", peerLan, e.toString(), e);
            drop("internal error: " + e.getMessage());
        }
    }

    private void write(List<WanFrame> frames) {
        if (frames.isEmpty() || socket == null) {
            return;
        }
        if (frames.get(frames.size() - 1) instanceof WanFrame.Data) {
            CrashPoints.hit(CrashPoints.BEFORE_SEND);
        }
        if (frames.size() == 1) {
            socket.write(Buffer.buffer(WanFrames.encode(frames.get(0))));
            return;
        }
        Buffer out = Buffer.buffer(frames.size() * 256);
        for (WanFrame f : frames) {
            out.appendBytes(WanFrames.encode(f));
        }
        socket.write(out);
    }

    private void onClosed(NetSocket s, String why) {
        if (s != socket) {
            return;
        }
        drop(why);
    }

    private void drop(String why) {
        NetSocket s = socket;
        socket = null;
        connectedTo = null;
        mirrorsAsked.clear();
        readingPaused = false;
        sender.onDisconnected();
        if (s != null) {
            s.close();
        }
        if (!stopped) {
            if (state == State.UP) {
                log.warn("WAN link to {} down: {}", peerLan, why);
            }
            lastError = why;
            retryLater();
        }
    }

    /** Stops for good (this node is no longer the LAN's active spooler, or shuts down). */
    @Override
    public void close() {
        thread.execute(() -> {
            stopped = true;
            state = State.STOPPED;
            NetSocket s = socket;
            socket = null;
            sender.onDisconnected();
            if (s != null) {
                s.close();
            }
            client.close();
        });
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
