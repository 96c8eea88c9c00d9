package io.backplane.group.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Cluster transport over TCP with plain NIO on one selector thread. Each node opens one outbound
 * connection per peer for what it sends and accepts inbound connections for what it receives; a frame is
 * a 4-byte big-endian length followed by the encoded packet.
 *
 * <p>Copies: frames are packed into one direct buffer per peer and written from it, and read into one
 * direct buffer per connection and handed to the receiver as a view of that buffer, so the JDK's hidden
 * copy through a temporary direct buffer (which heap buffers cost on every read and write) is gone.
 * Writes are attempted as soon as frames are queued; {@code OP_WRITE} is asked for only while a socket's
 * buffer is full, instead of being switched on and off (an {@code epoll_ctl}) around every batch.
 *
 * <p>Limits: per peer, at most {@code sendQueueBytesMax} bytes wait to be written; beyond that new frames
 * are dropped and counted (the protocol's reliable channels retransmit, so a full buffer degrades to
 * loss rather than unbounded memory). Inbound frames above {@code frameBytesMax} close the connection.
 * A failed connection is retried with a backoff that doubles up to {@code reconnectDelayMillisMax}.
 */
public final class TcpTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    private static final long RECONNECT_DELAY_MILLIS_MIN = 50;
    private static final int READ_BUFFER_BYTES = 256 * 1024;
    private static final int WRITE_BUFFER_BYTES = 256 * 1024;
    // Socket buffer sizes are left to the kernel: on loopback its autotuning grows them to several MiB,
    // and setting SO_SNDBUF/SO_RCVBUF explicitly would switch that off.

    private final int selfNode;
    private final Map<Integer, InetSocketAddress> addresses;
    private final long sendQueueBytesMax;
    private final int frameBytesMax;
    private final long reconnectDelayMillisMax;
    private final Consumer<ByteBuffer> receiver;
    private final Map<Integer, Peer> peers = new TreeMap<>();
    private final AtomicLong droppedFrames = new AtomicLong();
    private volatile boolean running;
    private Selector selector;
    private ServerSocketChannel server;
    private Thread thread;

    private static final class Peer {
        final int node;
        final InetSocketAddress address;
        final ConcurrentLinkedQueue<Outgoing> queue = new ConcurrentLinkedQueue<>();
        final AtomicLong queuedBytes = new AtomicLong();
        SocketChannel channel;
        boolean connected;
        /** Frames packed for writing (fill mode); direct, so the kernel copies straight out of it. */
        final ByteBuffer out = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);
        /** A frame too big for {@code out}, being written on its own after {@code out} drained. */
        ByteBuffer large;
        long nextConnectNanos;
        long backoffMillis = RECONNECT_DELAY_MILLIS_MIN;

        Peer(int node, InetSocketAddress address) {
            this.node = node;
            this.address = address;
        }
    }

    /** One frame to send, in two parts written back to back (a per-peer header and a shared body). */
    private record Outgoing(byte[] head, byte[] body) {
        int length() {
            return head.length + body.length;
        }
    }

    private static final class Inbound {
        ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
    }

    /**
     * @param selfNode          this node's slot; its address is the one listened on
     * @param addresses         every node's address, by slot
     * @param sendQueueBytesMax bound on bytes waiting per peer
     * @param frameBytesMax     bound on one inbound frame
     * @param receiver          called on the transport thread with each received frame, as a read-only buffer
     *                          whose remaining bytes are the frame and which is valid only during the call
     *                          (it is a view of the connection's read buffer); must not block
     */
    public TcpTransport(int selfNode, Map<Integer, InetSocketAddress> addresses, long sendQueueBytesMax,
                        int frameBytesMax, long reconnectDelayMillisMax, Consumer<ByteBuffer> receiver) {
        this.selfNode = selfNode;
        this.addresses = Map.copyOf(addresses);
        this.sendQueueBytesMax = sendQueueBytesMax;
        this.frameBytesMax = frameBytesMax;
        this.reconnectDelayMillisMax = reconnectDelayMillisMax;
        this.receiver = receiver;
        if (!addresses.containsKey(selfNode)) {
            throw new IllegalArgumentException("no address for this node " + selfNode);
        }
        addresses.forEach((node, address) -> {
            if (node != selfNode) {
                peers.put(node, new Peer(node, address));
            }
        });
    }

    public void start() throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(addresses.get(selfNode));
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        running = true;
        thread = new Thread(this::loop, "group-tcp-" + selfNode);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a frame for {@code node}; thread-safe; drops (and counts) when the peer's queue is full. */
    public void send(int node, byte[] frame) {
        send(node, frame, new byte[0]);
    }

    /**
     * Queues one frame made of {@code head} followed by {@code body}, so a body shared by several peers is
     * neither copied nor encoded per peer; neither array may change afterwards.
     */
    public void send(int node, byte[] head, byte[] body) {
        Peer p = peers.get(node);
        Outgoing frame = new Outgoing(head, body);
        if (p == null) {
            droppedFrames.incrementAndGet();
            return;
        }
        if (p.queuedBytes.addAndGet(frame.length()) > sendQueueBytesMax) {
            p.queuedBytes.addAndGet(-frame.length());
            droppedFrames.incrementAndGet();
            return;
        }
        p.queue.add(frame);
        selector.wakeup();
    }

    public long droppedFrames() {
        return droppedFrames.get();
    }

    private void loop() {
        while (running) {
            try {
                long now = System.nanoTime();
                for (Peer p : peers.values()) {
                    prepare(p, now);
                }
                selector.select(20);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    handle(key);
                }
            } catch (IOException e) {
                LOG.warn("transport loop of node {}: {}", selfNode, e.toString());
            }
        }
    }

    private void prepare(Peer p, long now) throws IOException {
        boolean pending = p.out.position() > 0 || p.large != null || !p.queue.isEmpty();
        if (p.channel == null) {
            if (pending && now >= p.nextConnectNanos) {
                p.channel = SocketChannel.open();
                p.channel.configureBlocking(false);
                p.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                p.channel.connect(p.address);
                p.channel.register(selector, SelectionKey.OP_CONNECT, p);
            }
            return;
        }
        if (p.connected && pending) {
            SelectionKey key = p.channel.keyFor(selector);
            if (key != null && key.isValid() && (key.interestOps() & SelectionKey.OP_WRITE) == 0) {
                try {
                    boolean drained = write(p);
                    if (!drained) {
                        key.interestOps(SelectionKey.OP_WRITE); // socket buffer full: wait until it drains
                    }
                } catch (IOException e) {
                    disconnect(p, e);
                }
            }
        }
    }

    private void handle(SelectionKey key) {
        Object att = key.attachment();
        try {
            if (key.isAcceptable()) {
                SocketChannel ch = server.accept();
                if (ch != null) {
                    ch.configureBlocking(false);
                    ch.register(selector, SelectionKey.OP_READ, new Inbound());
                }
            } else if (att instanceof Peer p && key.isConnectable()) {
                p.channel.finishConnect();
                p.connected = true;
                p.backoffMillis = RECONNECT_DELAY_MILLIS_MIN;
                key.interestOps(SelectionKey.OP_WRITE);
            } else if (att instanceof Peer p && key.isWritable()) {
                if (write(p)) {
                    key.interestOps(0); // drained: the loop writes new frames directly again
                }
            } else if (att instanceof Inbound in && key.isReadable()) {
                read((SocketChannel) key.channel(), in, key);
            }
        } catch (IOException e) {
            if (att instanceof Peer p) {
                disconnect(p, e);
            } else {
                closeQuietly(key);
            }
        }
    }

    /**
     * Writes queued frames until none is left (returns true) or the socket buffer is full (false). Frames
     * are packed into the peer's direct buffer, so one syscall carries many of them.
     */
    private boolean write(Peer p) throws IOException {
        while (true) {
            if (p.large != null) {
                p.channel.write(p.large);
                if (p.large.hasRemaining()) {
                    return false;
                }
                p.large = null;
            }
            Outgoing next;
            while ((next = p.queue.peek()) != null && p.out.remaining() >= 4 + next.length()) {
                p.queue.poll();
                p.queuedBytes.addAndGet(-next.length());
                p.out.putInt(next.length()).put(next.head()).put(next.body());
            }
            if (p.out.position() == 0) {
                if (next == null) {
                    return true;
                }
                // a frame bigger than the whole buffer (a view change's final set): write it on its own
                p.queue.poll();
                p.queuedBytes.addAndGet(-next.length());
                p.large = ByteBuffer.allocate(4 + next.length()).putInt(next.length()).put(next.head())
                        .put(next.body()).flip();
                continue;
            }
            p.out.flip();
            p.channel.write(p.out);
            boolean full = p.out.hasRemaining();
            p.out.compact();
            if (full) {
                return false;
            }
        }
    }

    private void read(SocketChannel ch, Inbound in, SelectionKey key) throws IOException {
        int n = ch.read(in.buffer);
        if (n < 0) {
            closeQuietly(key);
            return;
        }
        in.buffer.flip();
        while (in.buffer.remaining() >= 4) {
            int length = in.buffer.getInt(in.buffer.position());
            if (length < 0 || length > frameBytesMax) {
                LOG.warn("node {} closes a connection sending a {} byte frame", selfNode, length);
                closeQuietly(key);
                return;
            }
            if (in.buffer.remaining() < 4 + length) {
                if (in.buffer.capacity() < 4 + length) {
                    // a rare large frame (a view change's final set): grow this connection's buffer to fit
                    ByteBuffer bigger = ByteBuffer.allocate(4 + length);
                    bigger.put(in.buffer);
                    in.buffer = bigger;
                    return;
                }
                break;
            }
            int start = in.buffer.position() + 4;
            ByteBuffer frame = in.buffer.slice(start, length).asReadOnlyBuffer();
            in.buffer.position(start + length);
            receiver.accept(frame);
        }
        in.buffer.compact();
    }

    private void disconnect(Peer p, IOException why) {
        LOG.debug("node {} lost its connection to {}: {}", selfNode, p.node, why.toString());
        try {
            p.channel.close();
        } catch (IOException ignored) {
            // closing a broken channel: nothing more to do
        }
        p.channel = null;
        p.connected = false;
        p.out.clear(); // a half-written frame is lost; the receiver never saw its tail
        p.large = null;
        p.nextConnectNanos = System.nanoTime() + p.backoffMillis * 1_000_000L;
        p.backoffMillis = Math.min(reconnectDelayMillisMax, p.backoffMillis * 2);
    }

    private static void closeQuietly(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // already broken
        }
    }

    /** Stops the selector thread and closes every connection; idempotent. */
    @Override
    public synchronized void close() {
        if (selector == null || !selector.isOpen()) {
            return;
        }
        running = false;
        if (selector != null) {
            selector.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (selector != null) {
                for (SelectionKey k : selector.keys()) {
                    k.channel().close();
                }
                selector.close();
            }
        } catch (IOException e) {
            LOG.debug("closing transport of node {}: {}", selfNode, e.toString());
        }
    }

}
