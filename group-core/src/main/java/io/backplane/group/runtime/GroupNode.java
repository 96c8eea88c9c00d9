package io.backplane.group.runtime;

import io.backplane.group.groups.GroupEffect;
import io.backplane.group.groups.GroupLayer;
import io.backplane.group.groups.GroupLayerConfig;
import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.Frame;
import io.backplane.group.protocol.FrameCodec;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.Packet;
import io.backplane.group.protocol.View;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one {@link Engine} on its own thread (an agent with a duty cycle, as in Aeron): received frames,
 * application requests and wall-clock ticks go in; packets go to the {@link TcpTransport}; every other
 * effect goes to the listener, on this thread, in order. The listener must not block.
 *
 * <p>With a {@link GroupLayer} ({@link #withGroups}), the engine thread drives the layer instead (which
 * owns the engine): lightweight groups, group RPC, state transfer over TCP. Every {@link GroupEffect} goes
 * to the group listener in order (LAN effects wrapped in {@link GroupEffect.Lan}, packets excepted), and
 * requests reach the layer through {@link #groups(Consumer)}.
 */
public final class GroupNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupNode.class);

    /** Frames, and separately requests, handed to the engine before its effects are carried out. */
    private static final int BURST_MAX = 1024;

    private final RuntimeConfig config;
    private final Engine engine;
    private final TcpTransport transport;
    private final Consumer<Effect> listener;
    /** Null unless this node runs the group layer; then it owns {@link #engine}. */
    private final GroupLayer layer;
    private final Consumer<GroupEffect> groupListener;
    private final BlockingQueue<Packet> inbox;
    private final BlockingQueue<Consumer<Engine>> requests;
    /**
     * Put in the inbox by {@link #submit} to wake the engine thread on a quiet group, so a request is
     * handled at once instead of at the next frame or tick (up to a tick of latency). Never handed to the
     * engine. Under load frames arrive all the time and wake the engine anyway; waking it for each request
     * as well made its events smaller and cost throughput, hence {@link #QUIET_NANOS}.
     */
    private final Packet wakeUp;
    /** The engine thread is woken for a request only if it has received nothing for this long. */
    private static final long QUIET_NANOS = 1_000_000;
    /** True while the engine thread waits on the inbox (set before its last look at the request queue). */
    private volatile boolean idle;
    /** When the engine thread last took packets from the inbox. */
    private volatile long lastPacketsNanos;
    private volatile boolean running;
    private volatile View currentView;
    private volatile RuntimeException failure;
    /** What the transport gossips about this process (discovery mode); written by the engine thread. */
    private volatile MemberStatus status = MemberStatus.JOINING_STATUS;
    /** The engine's last {@link Effect.Availability}; engine thread only. */
    private boolean available = true;
    /** Run on the engine thread after every tick (discovery: seeds and founding), or null. */
    private final Consumer<Engine> tickHook;
    private volatile Thread thread;

    /**
     * @param initialView the bootstrap view when this process founds the group with others, or null to join
     */
    public GroupNode(RuntimeConfig config, View initialView, Consumer<Effect> listener) {
        this(config, initialView, listener, null, null);
    }

    /**
     * A static node (every address known) running the group layer; {@code listener} gets every group effect
     * on the engine thread and must not block.
     */
    public static GroupNode withGroups(RuntimeConfig config, View initialView, GroupLayerConfig layerConfig,
                                       Consumer<GroupEffect> listener) {
        return new GroupNode(config, initialView, null, layerConfig, listener);
    }

    private GroupNode(RuntimeConfig config, View initialView, Consumer<Effect> listener, GroupLayerConfig layerConfig,
                      Consumer<GroupEffect> groupListener) {
        if (config.addresses().isEmpty()) {
            throw new IllegalArgumentException("a static GroupNode needs every node's address");
        }
        this.config = config;
        this.listener = listener;
        this.tickHook = null;
        this.engine = new Engine(config.self(), config.engine(), initialView,
                new ArrayList<>(new java.util.TreeSet<>(config.addresses().keySet())));
        this.groupListener = groupListener;
        this.layer = layerConfig == null ? null : new GroupLayer(engine, layerConfig);
        this.inbox = new ArrayBlockingQueue<>(config.inboxFramesMax());
        this.requests = new ArrayBlockingQueue<>(config.requestQueueMax());
        this.wakeUp = new Packet(config.self(), config.self(), 0, 0, new Frame.AckOnly());
        this.transport = new TcpTransport(config.self().node(), config.addresses(), config.sendQueueBytesMax(),
                config.frameBytesMax(), config.reconnectDelayMillisMax(), this::onFrame);
    }

    /**
     * A node that discovers its peers (used by {@link ClusterMember}): it starts joining with no seeds;
     * {@code tickHook} runs on the engine thread after every tick and feeds the engine what the transport
     * learned (seed slots, founding).
     */
    GroupNode(ClusterConfig cluster, Consumer<Effect> listener, Consumer<Engine> tickHook) {
        this(cluster, listener, tickHook, null, null);
    }

    /** As above, running the group layer (see {@link ClusterMember#withGroups}). */
    GroupNode(ClusterConfig cluster, Consumer<Effect> listener, Consumer<Engine> tickHook, GroupLayerConfig layerConfig,
              Consumer<GroupEffect> groupListener) {
        this.config = cluster.runtimeConfig();
        this.listener = listener;
        this.tickHook = tickHook;
        this.engine = new Engine(config.self(), config.engine(), null, List.of());
        this.groupListener = groupListener;
        this.layer = layerConfig == null ? null : new GroupLayer(engine, layerConfig);
        this.inbox = new ArrayBlockingQueue<>(config.inboxFramesMax());
        this.requests = new ArrayBlockingQueue<>(config.requestQueueMax());
        this.wakeUp = new Packet(config.self(), config.self(), 0, 0, new Frame.AckOnly());
        this.transport = new TcpTransport(cluster, () -> status, this::onFrame);
    }

    TcpTransport transport() {
        return transport;
    }

    /** This process's membership status as gossiped to peers; readable from any thread. */
    public MemberStatus memberStatus() {
        return status;
    }

    /** The cluster port listened on (the chosen one if configured as 0), once started. */
    public int localPort() {
        return transport.localPort();
    }

    public void start() throws IOException {
        transport.start();
        running = true;
        thread = new Thread(this::run, "group-node-" + config.self());
        thread.start();
    }

    /** Asks for a multicast; the outcome arrives as {@link Effect.Sent} or {@link Effect.Rejected}. */
    public void multicast(Kind kind, byte[] payload) {
        if (layer != null) {
            // a raw LAN multicast would reach the group layer's peers as an undecodable group payload
            throw new IllegalStateException("this GroupNode runs the group layer: multicast through groups(...)");
        }
        byte[] copy = payload.clone();
        submit(e -> e.multicastHandingOver(kind, copy)); // this copy is private to the engine thread
    }

    public void leave() {
        if (layer != null) {
            submit(e -> layer.leaveLan());
        } else {
            submit(Engine::leave);
        }
    }

    /**
     * Runs {@code request} on the engine thread against the group layer (join, joinWithState, multicast,
     * call, reply, nullReply, stateChunk, ...); its effects reach the group listener. Any thread. Throws if
     * this node does not run the group layer or its request queue is full.
     */
    public void groups(Consumer<GroupLayer> request) {
        if (layer == null) {
            throw new IllegalStateException("this GroupNode does not run the group layer");
        }
        if (Thread.currentThread() == thread) {
            // From the listener (a reply, a state chunk): at once, and its effects go out in the same
            // dispatch, instead of waiting for the engine thread's next turn (up to a tick when it is busy).
            request.accept(layer);
            return;
        }
        submit(e -> request.accept(layer));
    }

    /** Why the engine thread stopped on its own (a broken invariant), or null. Readable from any thread. */
    public RuntimeException failure() {
        return failure;
    }

    /** The last view installed, readable from any thread. */
    public View view() {
        return currentView;
    }

    /** Frames the transport dropped because a peer's send queue was full (the channels retransmit them). */
    public long droppedFrames() {
        return transport.droppedFrames();
    }

    private void submit(Consumer<Engine> request) {
        if (!requests.offer(request)) {
            throw new IllegalStateException("request queue full (" + config.requestQueueMax() + ")");
        }
        if (idle && System.nanoTime() - lastPacketsNanos > QUIET_NANOS) {
            inbox.offer(wakeUp); // if the inbox is full the engine thread is not asleep anyway
        }
    }

    /**
     * The engine thread's duty cycle: wait for frames or requests until the next tick, hand a burst of
     * them over as one event, then tick. With the group layer ({@link #layer} set) the layer takes the
     * frames and ticks and its effects are dispatched; otherwise the engine's.
     */
    private void run() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickMillis());
        long nextTick = System.nanoTime() + tickNanos;
        List<Packet> packets = new ArrayList<>();
        flushEffects(); // the bootstrap view was installed by the constructor
        try {
            while (running && !engine.isTerminated()) {
                long now = System.nanoTime();
                long wait = nextTick - now;
                if (layer != null) {
                    // A request submitted within QUIET_NANOS of the last frame does not wake this thread (see
                    // submit): look again when that window ends instead of at the next tick, so a group
                    // request (a join, a call) on a lightly loaded node waits about a millisecond, not a tick.
                    long quietIn = lastPacketsNanos + QUIET_NANOS - now;
                    if (quietIn > 0) {
                        wait = Math.min(wait, quietIn + 50_000);
                    }
                }
                Packet first;
                if (wait > 0) {
                    idle = true;
                    // a request submitted before idle was set is seen here; one after it may send wakeUp
                    first = requests.isEmpty() ? inbox.poll(wait, TimeUnit.NANOSECONDS) : inbox.poll();
                    idle = false;
                } else {
                    first = inbox.poll();
                }
                // A burst of frames and requests is one engine event as far as effects go: dispatching once
                // after it lets the engine send each peer one batch of data instead of a packet per message.
                if (first != null) {
                    lastPacketsNanos = System.nanoTime();
                    packets.add(first);
                    inbox.drainTo(packets, BURST_MAX);
                    for (Packet p : packets) {
                        if (p == wakeUp) {
                            continue;
                        }
                        if (layer != null) {
                            layer.onPacket(p);
                        } else {
                            engine.onPacket(p);
                        }
                    }
                    packets.clear();
                }
                Consumer<Engine> r;
                for (int i = 0; i < BURST_MAX && (r = requests.poll()) != null; i++) {
                    r.accept(engine);
                }
                flushEffects();
                while (System.nanoTime() - nextTick >= 0) {
                    if (layer != null) {
                        layer.onTick();
                    } else {
                        engine.onTick();
                    }
                    if (tickHook != null) {
                        tickHook.accept(engine);
                        if (layer != null) {
                            layer.poll();
                        }
                    }
                    flushEffects();
                    nextTick += tickNanos;
                }
            }
            if (layer != null) {
                dispatchLayer(); // the last effects (Left, Excluded) still reach the listener
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failStop(e);
        }
    }

    private void flushEffects() {
        if (layer != null) {
            dispatchLayer();
        } else {
            dispatch();
        }
    }

    private void dispatchLayer() {
        for (List<GroupEffect> batch = layer.drainEffects(); !batch.isEmpty(); batch = layer.drainEffects()) {
            dispatchLayer(batch); // the listener may have acted on the layer (see groups): its effects too
        }
        updateStatus();
    }

    private void dispatchLayer(List<GroupEffect> batch) {
        Frame lastFrame = null;
        byte[] lastFrameBytes = null;
        for (GroupEffect ge : batch) {
            if (ge instanceof GroupEffect.Lan lan && lan.effect() instanceof Effect.Transmit t) {
                Frame f = t.packet().frame();
                if (f != lastFrame) {
                    lastFrame = f;
                    lastFrameBytes = FrameCodec.encodeFrame(f);
                }
                transport.send(t.packet().to().node(), FrameCodec.encodeHeader(t.packet()), lastFrameBytes);
                continue;
            }
            if (ge instanceof GroupEffect.Lan lan) {
                if (lan.effect() instanceof Effect.InstallView iv) {
                    currentView = iv.view();
                } else if (lan.effect() instanceof Effect.Availability a) {
                    available = a.available();
                }
            }
            groupListener.accept(ge);
        }
    }

    /**
     * The engine found its own state broken (an {@link io.backplane.group.protocol.Invariants.InvariantViolation}),
     * or the listener threw. Fail-stop, visibly: log it, tell the listener this incarnation is gone (as if
     * excluded: the host must restart it as a new incarnation), and stop the transport so peers see a crash
     * instead of a member that heartbeats on without acting.
     */
    private void failStop(RuntimeException e) {
        running = false;
        LOG.error("group node {} stopped: its engine failed; restart it as a new incarnation", config.self(), e);
        try {
            View v = currentView;
            Effect.Excluded gone = new Effect.Excluded(v == null ? 0 : v.id());
            if (layer != null) {
                groupListener.accept(new GroupEffect.Lan(gone));
            } else {
                listener.accept(gone);
            }
        } catch (RuntimeException listenerFailure) {
            LOG.error("listener failed while being told of the stop", listenerFailure);
        }
        transport.close();
        failure = e; // last: once failure() is seen, the listener has been told and the transport is closed
    }

    /**
     * On the transport thread: decodes a frame straight from the connection's read buffer (no copy of the
     * frame into its own array) and queues the packet for the engine thread, which then only runs the
     * protocol.
     */
    private void onFrame(ByteBuffer frame) {
        Packet p;
        try {
            p = FrameCodec.decode(frame);
        } catch (IllegalArgumentException e) {
            LOG.warn("dropping an undecodable frame: {}", e.getMessage());
            return;
        }
        if (!inbox.offer(p)) {
            LOG.debug("inbox full, frame dropped"); // the sender's channel retransmits
        }
    }

    private void dispatch() {
        Frame lastFrame = null;
        byte[] lastFrameBytes = null;
        for (Effect e : engine.drainEffects()) {
            if (e instanceof Effect.Transmit t) {
                // the engine sends one frame object to every peer (a data batch, a stability report):
                // encode it once and send it behind each peer's own header
                Frame f = t.packet().frame();
                if (f != lastFrame) {
                    lastFrame = f;
                    lastFrameBytes = FrameCodec.encodeFrame(f);
                }
                transport.send(t.packet().to().node(), FrameCodec.encodeHeader(t.packet()), lastFrameBytes);
            } else {
                if (e instanceof Effect.InstallView iv) {
                    currentView = iv.view();
                } else if (e instanceof Effect.Availability a) {
                    available = a.available();
                }
                listener.accept(e);
            }
        }
        updateStatus();
    }

    private void updateStatus() {
        byte code = switch (engine.state()) {
            case JOINING -> MemberStatus.JOINING;
            case MEMBER, FLUSHING -> available ? MemberStatus.MEMBER : MemberStatus.UNAVAILABLE;
            case LEFT, EXCLUDED -> MemberStatus.GONE;
        };
        long viewId = engine.view() == null ? 0 : engine.view().id();
        MemberStatus s = status;
        if (s.code() != code || s.viewId() != viewId) {
            status = new MemberStatus(code, viewId);
        }
    }

    /** Stops the engine thread and the transport; idempotent. Other members see a crash. */
    @Override
    public synchronized void close() {
        running = false;
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        transport.close();
    }
}
