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
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

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
 *
 * <p>Two ways to know the peers. <b>Static</b>: a fixed map of every slot's address, given up front
 * (benchmarks, {@link MemberMain}); connections carry engine packets only. <b>Discovery</b>
 * ({@link ClusterConfig}): a dynamic {@link AddressBook} filled from seed addresses. Then every connection
 * starts with a HELLO control frame (who the sender is, its status, its whole book; docs/WIRE.md); the
 * receiver merges the book and, when it changed, connects to nodes new to it (its HELLO there is the
 * "connect back" that makes a seed learn us and us the seed) and sends its new book to every connected
 * peer, so all nodes converge on one book. A connection whose first frame is not a valid HELLO is closed
 * with a warning. Statuses are gossiped in STATUS frames every {@code gossipIntervalMillis} and at once
 * when the local status changes; {@link #peerStatuses()} is what the founding rule reads. In this mode
 * the transport keeps a connection open to every node in the book, whether or not it has frames for it.
 */
public final class TcpTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    private static final long RECONNECT_DELAY_MILLIS_MIN = 50;
    private static final int READ_BUFFER_BYTES = 256 * 1024;
    private static final int WRITE_BUFFER_BYTES = 256 * 1024;
    // Socket buffer sizes are left to the kernel: on loopback its autotuning grows them to several MiB,
    // and setting SO_SNDBUF/SO_RCVBUF explicitly would switch that off.

    private final int selfNode;
    private final InetSocketAddress bindAddress;
    private final long sendQueueBytesMax;
    private final int frameBytesMax;
    private final long reconnectDelayMillisMax;
    private final Consumer<ByteBuffer> receiver;
    /** Read by senders on any thread; in discovery mode changed by the transport thread. */
    private final Map<Integer, Peer> peers = new ConcurrentHashMap<>();
    private final AtomicLong droppedFrames = new AtomicLong();
    /** Discovery mode only (else null); all but the published fields are used on the transport thread only. */
    private final ClusterConfig discovery;
    private final Supplier<MemberStatus> localStatus;
    private AddressBook book;
    private final List<Peer> seedLinks = new ArrayList<>();
    /** Addresses of the book's entries: a seed at one of them is resolved and needs no link of its own. */
    private final Set<InetSocketAddress> bookAddresses = new HashSet<>();
    private MemberStatus lastSentStatus;
    private long nextGossipNanos;
    private volatile SortedMap<Integer, NodeInfo> bookSnapshot = Collections.emptySortedMap();
    private volatile long bookVersion;
    private final Map<Integer, PeerStatus> statuses = new ConcurrentHashMap<>();
    private volatile int localPort;
    private volatile boolean running;
    private Selector selector;
    private ServerSocketChannel server;
    private Thread thread;

    private static final class Peer {
        /** The peer's slot, or -1 for a link to a seed address whose node is not known yet. */
        final int node;
        /** Changed (discovery mode, transport thread) when a higher incarnation moves to another address. */
        InetSocketAddress address;
        int incarnation;
        final ConcurrentLinkedQueue<Outgoing> queue = new ConcurrentLinkedQueue<>();
        /**
         * Control frames (discovery mode), written before any queued engine frame; transport thread only.
         * At most one HELLO (first) and one STATUS: a newer one replaces the queued one, so it stays bounded.
         */
        final ArrayDeque<Outgoing> control = new ArrayDeque<>(2);
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
        /** Discovery mode: who said HELLO on this connection, null before that. */
        NodeInfo sender;
        final String remote;

        Inbound(String remote) {
            this.remote = remote;
        }
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
        this.sendQueueBytesMax = sendQueueBytesMax;
        this.frameBytesMax = frameBytesMax;
        this.reconnectDelayMillisMax = reconnectDelayMillisMax;
        this.receiver = receiver;
        this.discovery = null;
        this.localStatus = null;
        if (!addresses.containsKey(selfNode)) {
            throw new IllegalArgumentException("no address for this node " + selfNode);
        }
        this.bindAddress = addresses.get(selfNode);
        addresses.forEach((node, address) -> {
            if (node != selfNode) {
                peers.put(node, new Peer(node, address));
            }
        });
    }

    /**
     * A transport in discovery mode: it knows only itself and its seeds until HELLOs teach it the rest.
     *
     * @param localStatus read on the transport thread whenever it gossips; must be cheap and thread-safe
     */
    public TcpTransport(ClusterConfig config, Supplier<MemberStatus> localStatus, Consumer<ByteBuffer> receiver) {
        this.selfNode = NodeSlots.slotOf(config.name());
        this.bindAddress = config.bindAddress();
        this.sendQueueBytesMax = config.sendQueueBytesMax();
        this.frameBytesMax = config.frameBytesMax();
        this.reconnectDelayMillisMax = config.reconnectDelayMillisMax();
        this.receiver = receiver;
        this.discovery = config;
        this.localStatus = localStatus;
    }

    public void start() throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(bindAddress);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        localPort = ((InetSocketAddress) server.getLocalAddress()).getPort();
        if (discovery != null) {
            NodeInfo self = new NodeInfo(discovery.name(), discovery.incarnation(), discovery.advertisedHost(),
                    localPort, discovery.metadata());
            book = new AddressBook(self);
            InetSocketAddress selfAddress = self.address();
            for (InetSocketAddress seed : discovery.seeds()) {
                if (!seed.equals(selfAddress) && !seed.equals(new InetSocketAddress(bindAddress.getAddress(), localPort))) {
                    seedLinks.add(new Peer(-1, seed));
                }
            }
            bookChanged();
        }
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

    /** The port listened on (the chosen one when configured as 0); 0 before {@link #start()}. */
    public int localPort() {
        return localPort;
    }

    /** Discovery mode: every node known, by slot, this one included (an immutable copy); empty otherwise. */
    public SortedMap<Integer, NodeInfo> book() {
        return bookSnapshot;
    }

    /** Discovery mode: grows by one each time the book changes, so a reader can tell it has news cheaply. */
    public long bookVersion() {
        return bookVersion;
    }

    /** Discovery mode: the last status heard from each peer (its latest incarnation), by slot. */
    public Map<Integer, PeerStatus> peerStatuses() {
        return Map.copyOf(statuses);
    }

    private void loop() {
        while (running) {
            try {
                long now = System.nanoTime();
                if (discovery != null) {
                    gossipIfDue(now);
                    for (Peer p : seedLinks) {
                        prepareSeedLink(p, now);
                    }
                }
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
        boolean pending = p.out.position() > 0 || p.large != null || !p.queue.isEmpty() || !p.control.isEmpty();
        if (p.channel == null) {
            // discovery keeps a connection to every known node: HELLOs and statuses must flow both ways
            if ((pending || discovery != null) && now >= p.nextConnectNanos) {
                connect(p);
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

    private void connect(Peer p) throws IOException {
        p.channel = SocketChannel.open();
        p.channel.configureBlocking(false);
        p.channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        try {
            p.channel.connect(p.address);
        } catch (UnresolvedAddressException e) {
            disconnect(p, new IOException("unresolved address " + p.address));
            return;
        }
        p.channel.register(selector, SelectionKey.OP_CONNECT, p);
    }

    private void handle(SelectionKey key) {
        Object att = key.attachment();
        try {
            if (key.isAcceptable()) {
                SocketChannel ch = server.accept();
                if (ch != null) {
                    ch.configureBlocking(false);
                    ch.register(selector, SelectionKey.OP_READ, new Inbound(String.valueOf(ch.getRemoteAddress())));
                }
            } else if (att instanceof Peer p && key.isConnectable()) {
                p.channel.finishConnect();
                p.connected = true;
                p.backoffMillis = RECONNECT_DELAY_MILLIS_MIN;
                if (discovery != null) {
                    p.control.clear();
                    p.control.add(new Outgoing(ControlCodec.encode(hello()), new byte[0])); // first frame
                }
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
            while ((next = peekNext(p)) != null && p.out.remaining() >= 4 + next.length()) {
                pollNext(p);
                p.out.putInt(next.length()).put(next.head()).put(next.body());
            }
            if (p.out.position() == 0) {
                if (next == null) {
                    return true;
                }
                // a frame bigger than the whole buffer (a view change's final set): write it on its own
                pollNext(p);
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

    /** Control frames go first: the HELLO must open the connection, and statuses must not wait behind data. */
    private static Outgoing peekNext(Peer p) {
        Outgoing c = p.control.peek();
        return c != null ? c : p.queue.peek();
    }

    private static void pollNext(Peer p) {
        if (p.control.poll() == null) {
            Outgoing o = p.queue.poll();
            p.queuedBytes.addAndGet(-o.length());
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
            int lengthMax = discovery != null && in.sender == null ? ControlCodec.FRAME_BYTES_MAX : frameBytesMax;
            if (length < 0 || length > lengthMax) {
                LOG.warn("node {} closes the connection from {}: it sent a {} byte frame", selfNode, in.remote, length);
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
            if (discovery == null) {
                receiver.accept(frame);
            } else if (!onDiscoveryFrame(in, frame)) {
                closeQuietly(key);
                return;
            }
        }
        in.buffer.compact();
    }

    private void disconnect(Peer p, IOException why) {
        LOG.debug("node {} lost its connection to {}: {}", selfNode, p.node, why.toString());
        try {
            if (p.channel != null) {
                p.channel.close();
            }
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

    // ---------------------------------------------------------------- discovery (transport thread)

    /** Handles one inbound frame in discovery mode; false closes the connection. */
    private boolean onDiscoveryFrame(Inbound in, ByteBuffer frame) {
        if (frame.remaining() > 0 && frame.get(frame.position()) == ControlCodec.MARKER) {
            ControlFrame f;
            try {
                f = ControlCodec.decode(frame);
            } catch (IllegalArgumentException e) {
                LOG.warn("node {} closes the connection from {}: {}", selfNode, in.remote, e.getMessage());
                return false;
            }
            if (f instanceof ControlFrame.Hello h) {
                return onHello(in, h);
            }
            if (in.sender == null) {
                LOG.warn("node {} closes the connection from {}: a STATUS before its HELLO", selfNode, in.remote);
                return false;
            }
            noteStatus(in.sender, ((ControlFrame.Status) f).status());
            return true;
        }
        if (in.sender == null) {
            LOG.warn("node {} closes the connection from {}: its first frame is not a HELLO", selfNode, in.remote);
            return false;
        }
        receiver.accept(frame);
        return true;
    }

    private boolean onHello(Inbound in, ControlFrame.Hello h) {
        NodeInfo sender = h.sender();
        NodeInfo self = book.self();
        if (sender.name().equals(self.name())) {
            if (sender.incarnation() != self.incarnation()) {
                LOG.warn("node {} closes the connection from {}: it claims to be another incarnation ({}) of this node",
                        self, in.remote, sender);
            }
            return false; // a seed that was our own address under another name: nothing to learn
        }
        if (in.sender != null && !in.sender.name().equals(sender.name())) {
            LOG.warn("node {} closes the connection from {}: it said HELLO as {} and now as {}", self, in.remote,
                    in.sender.name(), sender.name());
            return false;
        }
        AddressBook.Merge m = book.merge(sender);
        if (m == AddressBook.Merge.REFUSED) {
            return false; // a slot collision (logged as an error by the book) or a full book
        }
        in.sender = sender;
        boolean changed = m != AddressBook.Merge.UNCHANGED;
        for (NodeInfo n : h.book()) {
            AddressBook.Merge r = book.merge(n); // for our own name: reports a newer incarnation of us
            changed |= r == AddressBook.Merge.ADDED || r == AddressBook.Merge.UPDATED;
        }
        noteStatus(sender, h.status());
        if (changed) {
            bookChanged();
        }
        return true;
    }

    private void noteStatus(NodeInfo sender, MemberStatus status) {
        NodeInfo known = book.get(sender.slot());
        if (known == null || known.incarnation() != sender.incarnation() || !known.name().equals(sender.name())) {
            return; // an older incarnation still connected, or a refused name: its status says nothing now
        }
        long now = System.nanoTime();
        statuses.compute(sender.slot(), (slot, prev) -> {
            boolean same = prev != null && prev.incarnation() == sender.incarnation()
                    && prev.status().code() == status.code();
            return new PeerStatus(slot, sender.name(), sender.incarnation(), status, same ? prev.sinceNanos() : now, now);
        });
    }

    /** The book changed: connect to new nodes, follow moved ones, publish it, and tell every connected peer. */
    private void bookChanged() {
        bookAddresses.clear();
        for (NodeInfo n : book.entries()) {
            bookAddresses.add(n.address());
            if (n.slot() == selfNode) {
                continue;
            }
            Peer p = peers.get(n.slot());
            if (p == null) {
                p = new Peer(n.slot(), n.address());
                p.incarnation = n.incarnation();
                peers.put(n.slot(), p);
                LOG.info("node {} learned of {}", book.self(), n);
            } else if (p.incarnation < n.incarnation()) {
                retarget(p, n);
            }
        }
        bookSnapshot = book.snapshot();
        bookVersion++;
        byte[] hello = ControlCodec.encode(hello());
        for (Peer p : peers.values()) {
            queueControl(p, hello, true);
        }
        for (Peer p : seedLinks) {
            queueControl(p, hello, true);
        }
    }

    /** A higher incarnation of a peer, perhaps on a new address: drop the connection to the old one. */
    private void retarget(Peer p, NodeInfo n) {
        LOG.info("node {} follows {} (was incarnation {} at {})", book.self(), n, p.incarnation, p.address);
        if (p.channel != null) {
            disconnect(p, new IOException("peer restarted as incarnation " + n.incarnation()));
        }
        p.address = n.address();
        p.incarnation = n.incarnation();
        p.nextConnectNanos = 0;
        p.backoffMillis = RECONNECT_DELAY_MILLIS_MIN;
    }

    private ControlFrame.Hello hello() {
        List<NodeInfo> others = new ArrayList<>(book.size());
        for (NodeInfo n : book.entries()) {
            if (n.slot() != selfNode) {
                others.add(n);
            }
        }
        return new ControlFrame.Hello(book.self(), currentStatus(), others);
    }

    private MemberStatus currentStatus() {
        MemberStatus s = localStatus.get();
        return s == null ? MemberStatus.JOINING_STATUS : s;
    }

    /** Queues a control frame for a connected peer: a HELLO replaces anything queued, a STATUS a STATUS. */
    private void queueControl(Peer p, byte[] frame, boolean isHello) {
        if (!p.connected) {
            return; // the HELLO that opens the next connection carries the latest book and status
        }
        if (isHello) {
            p.control.clear();
        } else {
            p.control.removeIf(o -> o.head()[2] == ControlCodec.STATUS);
        }
        p.control.add(new Outgoing(frame, new byte[0]));
    }

    private void gossipIfDue(long now) {
        MemberStatus s = currentStatus();
        if (s.equals(lastSentStatus) && now - nextGossipNanos < 0) {
            return;
        }
        lastSentStatus = s;
        nextGossipNanos = now + discovery.gossipIntervalMillis() * 1_000_000L;
        byte[] frame = ControlCodec.encode(new ControlFrame.Status(s));
        for (Peer p : peers.values()) {
            queueControl(p, frame, false);
        }
        for (Peer p : seedLinks) {
            queueControl(p, frame, false);
        }
    }

    /**
     * A seed address is linked to (and sent our HELLO) until some book entry has that address: then the node
     * there is known by name and reached through its own peer connection, and the link is closed. A seed that
     * is not up yet is retried with the usual backoff.
     */
    private void prepareSeedLink(Peer p, long now) throws IOException {
        if (bookAddresses.contains(p.address)) {
            if (p.channel != null) {
                SelectionKey key = p.channel.keyFor(selector);
                if (key != null) {
                    key.cancel();
                }
                p.channel.close();
                p.channel = null;
                p.connected = false;
                p.out.clear();
                p.large = null;
                p.control.clear();
            }
            return;
        }
        prepare(p, now);
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
