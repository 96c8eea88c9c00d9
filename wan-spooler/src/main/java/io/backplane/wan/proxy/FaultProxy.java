package io.backplane.wan.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A fault-injecting TCP proxy for WAN link tests ({@code tc netem} is not available here). It listens
 * on loopback and forwards every connection to a target it asks for at connect time (so one proxy can
 * follow a LAN's changing nodes). Faults, switchable at any time from the test thread:
 * <ul>
 *   <li>{@link #cut()}: resets every connection and refuses new ones (accepts and closes them at once)
 *       until {@link #heal()};</li>
 *   <li>{@link #stall(boolean)}: stops forwarding without closing (a black hole; TCP buffers fill);</li>
 *   <li>{@link #delayMillis(long)}: every chunk waits this long in each direction, order kept;</li>
 *   <li>{@link #duplicateEvery(int)} and {@link #reorderEvery(int)}: in the client → server direction,
 *       which carries length-prefixed frames (u32 big-endian length, then the frame), every n-th
 *       frame is sent twice, or held back and sent after the next one;</li>
 *   <li>{@link #forgetAcknowledgements(boolean)}: in the server → client direction, drops every
 *       {@code ACK} frame and zeroes the {@code appliedHint} of every {@code WELCOME}, so the sender
 *       keeps its whole spool and, on its next connection, replays it from the start;</li>
 *   <li>{@link #resetConnections()}: one reset of what is connected now.</li>
 * </ul>
 * Threads: one acceptor, and per connection one reader and one writer per direction.
 */
public final class FaultProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Supplier<InetSocketAddress> target;
    private final List<Pipe> pipes = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean cut;
    private volatile boolean stalled;
    private volatile long delayMillis;
    private volatile int duplicateEvery;
    private volatile int reorderEvery;
    private volatile boolean closed;
    private volatile boolean forgetAcknowledgements;
    private final AtomicLong acknowledgementsDropped = new AtomicLong();
    private final AtomicLong framesForwarded = new AtomicLong();
    private final AtomicLong framesDuplicated = new AtomicLong();
    private final AtomicLong framesReordered = new AtomicLong();
    private final AtomicLong connectionsAccepted = new AtomicLong();

    public FaultProxy(Supplier<InetSocketAddress> target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    public static FaultProxy to(String host, int port) throws IOException {
        InetSocketAddress a = new InetSocketAddress(host, port);
        return new FaultProxy(() -> a);
    }

    public int port() {
        return server.getLocalPort();
    }

    public void cut() {
        cut = true;
        resetConnections();
    }

    public void heal() {
        cut = false;
    }

    public void stall(boolean on) {
        stalled = on;
    }

    public void delayMillis(long millis) {
        delayMillis = millis;
    }

    public void duplicateEvery(int n) {
        duplicateEvery = n;
    }

    public void reorderEvery(int n) {
        reorderEvery = n;
    }

    /** While on, the sender never learns what the receiver applied: no ACK reaches it, WELCOME hints 0. */
    public void forgetAcknowledgements(boolean on) {
        forgetAcknowledgements = on;
    }

    public long acknowledgementsDropped() {
        return acknowledgementsDropped.get();
    }

    public void resetConnections() {
        for (Pipe p : pipes) {
            p.close();
        }
    }

    public long framesForwarded() {
        return framesForwarded.get();
    }

    public long framesDuplicated() {
        return framesDuplicated.get();
    }

    public long framesReordered() {
        return framesReordered.get();
    }

    public long connectionsAccepted() {
        return connectionsAccepted.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                closeQuietly(client);
                continue;
            }
            connectionsAccepted.incrementAndGet();
            try {
                client.setTcpNoDelay(true);
                Socket upstream = new Socket();
                upstream.connect(target.get(), 3000);
                upstream.setTcpNoDelay(true);
                Pipe p = new Pipe(client, upstream);
                pipes.add(p);
                p.start();
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** One proxied connection: two directions, each a reader and a delaying writer. */
    private final class Pipe {
        final Socket client;
        final Socket upstream;
        volatile boolean closed;
        final List<Thread> threads = new ArrayList<>();

        Pipe(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() throws IOException {
            direction(client.getInputStream(), upstream.getOutputStream(), true, "up");
            direction(upstream.getInputStream(), client.getOutputStream(), false, "down");
            for (Thread t : threads) {
                t.start();
            }
        }

        private void direction(InputStream in, OutputStream out, boolean frames, String name) {
            DelayQueue<Chunk> queue = new DelayQueue<>();
            AtomicLong order = new AtomicLong();
            Thread reader = new Thread(() -> {
                FrameSplitter splitter = new FrameSplitter(); // both directions carry length-prefixed frames
                byte[] buf = new byte[64 * 1024];
                try {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        while (stalled && !closed) {
                            Thread.sleep(5);
                        }
                        long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
                        if (splitter == null) {
                            queue.add(new Chunk(due, order.incrementAndGet(), java.util.Arrays.copyOf(buf, n)));
                        } else {
                            for (byte[] f : splitter.feed(buf, n)) {
                                queue.add(new Chunk(due, order.incrementAndGet(), f));
                            }
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    // closed
                }
                queue.add(new Chunk(System.nanoTime(), order.incrementAndGet(), null)); // end
            }, "fault-proxy-" + name + "-read");
            Thread writer = new Thread(() -> {
                byte[] held = null;
                long count = 0;
                try {
                    while (true) {
                        Chunk c = queue.take();
                        if (c.bytes == null) {
                            break;
                        }
                        while (stalled && !closed) {
                            Thread.sleep(5);
                        }
                        if (frames) {
                            count++;
                            framesForwarded.incrementAndGet();
                            int reorder = reorderEvery;
                            int dup = duplicateEvery;
                            if (reorder > 0 && held == null && count % reorder == 0) {
                                held = c.bytes; // sent after the next frame
                                framesReordered.incrementAndGet();
                                continue;
                            }
                            out.write(c.bytes);
                            if (dup > 0 && count % dup == 0) {
                                out.write(c.bytes);
                                framesDuplicated.incrementAndGet();
                            }
                            if (held != null) {
                                out.write(held);
                                held = null;
                            }
                        } else if (forgetAcknowledgements && c.bytes.length > 4 && c.bytes[4] == ACK) {
                            acknowledgementsDropped.incrementAndGet();
                            continue;
                        } else if (forgetAcknowledgements && c.bytes.length > 12 && c.bytes[4] == WELCOME) {
                            byte[] copy = c.bytes.clone();
                            java.util.Arrays.fill(copy, copy.length - 8, copy.length, (byte) 0); // appliedHint, the last field
                            out.write(copy);
                        } else {
                            out.write(c.bytes);
                        }
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // closed
                }
                close();
            }, "fault-proxy-" + name + "-write");
            reader.setDaemon(true);
            writer.setDaemon(true);
            threads.add(reader);
            threads.add(writer);
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            pipes.remove(this);
            try {
                client.setSoLinger(true, 0); // a reset, as a broken WAN link looks
            } catch (IOException ignored) {
                // already closed
            }
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    /** Orders chunks by due time, then by arrival, so a fixed delay never reorders. */
    private record Chunk(long dueNanos, long order, byte[] bytes) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Chunk c = (Chunk) o;
            int byDue = Long.compare(dueNanos, c.dueNanos);
            return byDue != 0 ? byDue : Long.compare(order, c.order);
        }
    }

    /** Frame type bytes (WanFrames), read here without depending on the codec. */
    private static final byte WELCOME = 2;
    private static final byte ACK = 5;

    /** Splits a stream of u32-length-prefixed frames into whole frames (prefix included). */
    static final class FrameSplitter {
        private byte[] pending = new byte[0];

        List<byte[]> feed(byte[] buf, int n) {
            byte[] all = new byte[pending.length + n];
            System.arraycopy(pending, 0, all, 0, pending.length);
            System.arraycopy(buf, 0, all, pending.length, n);
            List<byte[]> out = new ArrayList<>();
            int pos = 0;
            while (all.length - pos >= 4) {
                int len = ((all[pos] & 0xff) << 24) | ((all[pos + 1] & 0xff) << 16) | ((all[pos + 2] & 0xff) << 8) | (all[pos + 3] & 0xff);
                if (len < 0 || all.length - pos - 4 < len) {
                    break;
                }
                out.add(java.util.Arrays.copyOfRange(all, pos, pos + 4 + len));
                pos += 4 + len;
            }
            pending = java.util.Arrays.copyOfRange(all, pos, all.length);
            return out;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly2(server);
        resetConnections();
    }

    private static void closeQuietly2(ServerSocket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
