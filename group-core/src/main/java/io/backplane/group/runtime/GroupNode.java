package io.backplane.group.runtime;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.FrameCodec;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.Packet;
import io.backplane.group.protocol.View;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
 */
public final class GroupNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupNode.class);

    private final RuntimeConfig config;
    private final Engine engine;
    private final TcpTransport transport;
    private final Consumer<Effect> listener;
    private final BlockingQueue<byte[]> inbox;
    private final BlockingQueue<Consumer<Engine>> requests;
    private volatile boolean running;
    private volatile View currentView;
    private volatile RuntimeException failure;
    private Thread thread;

    /**
     * @param initialView the bootstrap view when this process founds the group with others, or null to join
     */
    public GroupNode(RuntimeConfig config, View initialView, Consumer<Effect> listener) {
        this.config = config;
        this.listener = listener;
        this.engine = new Engine(config.self(), config.engine(), initialView,
                new ArrayList<>(new java.util.TreeSet<>(config.addresses().keySet())));
        this.inbox = new ArrayBlockingQueue<>(config.inboxFramesMax());
        this.requests = new ArrayBlockingQueue<>(config.requestQueueMax());
        this.transport = new TcpTransport(config.self().node(), config.addresses(), config.sendQueueBytesMax(),
                config.frameBytesMax(), config.reconnectDelayMillisMax(), frame -> {
                    if (!inbox.offer(frame)) {
                        LOG.debug("inbox full, frame dropped"); // the sender's channel retransmits
                    }
                });
    }

    public void start() throws IOException {
        transport.start();
        running = true;
        thread = new Thread(this::run, "group-node-" + config.self());
        thread.start();
    }

    /** Asks for a multicast; the outcome arrives as {@link Effect.Sent} or {@link Effect.Rejected}. */
    public void multicast(Kind kind, byte[] payload) {
        byte[] copy = payload.clone();
        submit(e -> e.multicast(kind, copy));
    }

    public void leave() {
        submit(Engine::leave);
    }

    /** Why the engine thread stopped on its own (a broken invariant), or null. Readable from any thread. */
    public RuntimeException failure() {
        return failure;
    }

    /** The last view installed, readable from any thread. */
    public View view() {
        return currentView;
    }

    private void submit(Consumer<Engine> request) {
        if (!requests.offer(request)) {
            throw new IllegalStateException("request queue full (" + config.requestQueueMax() + ")");
        }
    }

    private void run() {
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickMillis());
        long nextTick = System.nanoTime() + tickNanos;
        List<byte[]> frames = new ArrayList<>();
        dispatch(); // the bootstrap view was installed by the constructor
        try {
            while (running && !engine.isTerminated()) {
                long wait = nextTick - System.nanoTime();
                byte[] first = wait > 0 ? inbox.poll(wait, TimeUnit.NANOSECONDS) : inbox.poll();
                if (first != null) {
                    frames.add(first);
                    inbox.drainTo(frames, 1024);
                    for (byte[] f : frames) {
                        onFrame(f);
                    }
                    frames.clear();
                }
                Consumer<Engine> r;
                while ((r = requests.poll()) != null) {
                    r.accept(engine);
                    dispatch();
                }
                while (System.nanoTime() - nextTick >= 0) {
                    engine.onTick();
                    dispatch();
                    nextTick += tickNanos;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failStop(e);
        }
    }

    /**
     * The engine found its own state broken (an {@link io.backplane.group.protocol.Invariants.InvariantViolation}),
     * or the listener threw. Fail-stop, visibly: log it, tell the listener this incarnation is gone (as if
     * excluded: the host must restart it as a new incarnation), and stop the transport so peers see a crash
     * instead of a member that heartbeats on without acting.
     */
    private void failStop(RuntimeException e) {
        failure = e;
        running = false;
        LOG.error("group node {} stopped: its engine failed; restart it as a new incarnation", config.self(), e);
        try {
            View v = currentView;
            listener.accept(new Effect.Excluded(v == null ? 0 : v.id()));
        } catch (RuntimeException listenerFailure) {
            LOG.error("listener failed while being told of the stop", listenerFailure);
        }
        transport.close();
    }

    private void onFrame(byte[] bytes) {
        Packet p;
        try {
            p = FrameCodec.decode(bytes);
        } catch (IllegalArgumentException e) {
            LOG.warn("dropping an undecodable frame: {}", e.getMessage());
            return;
        }
        engine.onPacket(p);
        dispatch();
    }

    private void dispatch() {
        for (Effect e : engine.drainEffects()) {
            if (e instanceof Effect.Transmit t) {
                transport.send(t.packet().to().node(), FrameCodec.encode(t.packet()));
            } else {
                if (e instanceof Effect.InstallView iv) {
                    currentView = iv.view();
                }
                listener.accept(e);
            }
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
