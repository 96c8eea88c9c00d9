package io.backplane.node.wan;

import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStore;
import io.backplane.history.TopicInfo;
import io.backplane.node.config.NodeConfig;
import io.backplane.node.topic.LocalTopicService;
import io.backplane.node.topic.Payload;
import io.backplane.node.topic.PostResult;
import io.backplane.node.topic.Replicator;
import io.backplane.node.topic.ServiceUnavailableException;
import io.backplane.wan.SpoolReader;
import io.backplane.wan.MirrorSource;
import io.backplane.wan.WanApplier;
import io.backplane.wan.WanFrame;
import io.backplane.wan.WanLinkClient;
import io.backplane.wan.WanLinkServer;
import io.backplane.wan.WanSender;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's WAN side (DESIGN.md §5; docs/ARCHITECTURE.md §11): the spools of posts to other LANs,
 * one sending link per peer LAN while this node is its LAN's active spooler, and the listener where
 * peer LANs' spoolers deliver posts for this LAN.
 *
 * <p><b>Spools.</b> A post to {@code T@L} is posted to the internal topic {@code ~wan/L} through the
 * ordinary topic service ({@link SpoolFormat}), so on a LAN it is replicated, ordered and acknowledged
 * exactly like a topic (majority, then 202), and on a single node it is fsynced in RocksDB.
 *
 * <p><b>One active spooler per peer LAN.</b> A single node always is; clustered, the coordinator of
 * the current view while it serves (coordinator-cohort: when it fails the next oldest member becomes
 * coordinator at the view change and takes over from the replicated spool). Its sender epoch is
 * {@code era << 32 | viewId} (incarnation on a single node): a later activation has a higher one, and
 * the receiver refuses lower epochs, so a paused old spooler that wakes up is fenced.
 *
 * <p><b>Trimming.</b> Only after the peer acknowledged durably: the active spooler trims its store and
 * multicasts {@code WanTrim} so every member trims its replica of the spool as well.
 */
public final class WanService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WanService.class);
    /** Message ids as nodes make them ({@code LAN:node:incarnation-counter}): copied into JSON unescaped. */
    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    private final NodeConfig config;
    private final Vertx vertx;
    private final LocalTopicService topics;
    private final HistoryStore store;
    private final Replicator replicator; // null on a single node
    private final long incarnation;
    private final Map<String, Peer> peers = new TreeMap<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "backplane-wan");
        t.setDaemon(true);
        return t;
    });
    private WanLinkServer server;
    private int wanPort = -1;
    private volatile boolean closed;

    /** One peer LAN: its spool here, and the sending link while this node is the active spooler. */
    final class Peer implements SpoolReader {
        final String lan;
        final String spool;
        final List<WanLinkClient.Address> addresses = new ArrayList<>();
        volatile WanLinkClient client;
        /** The highest spool seq the peer acknowledged durably, as known here (from our link or a WanTrim). */
        volatile long lastAcked = -1;
        /** What this node's spool replica is trimmed through, and what it last told the LAN (wan thread). */
        long trimmedThrough = -1;
        long announced = -1;
        // Depth, refreshed by the wan thread (read by posts on event loops without touching RocksDB).
        volatile long firstSeq = 1;
        volatile long lastSeq;
        volatile long bytes;
        volatile long oldestMillis;
        volatile long framesSentBefore;
        volatile long framesResentBefore;
        final Mirrors mirrors;

        Peer(String lan, List<String> hostPorts) {
            this.lan = lan;
            this.spool = SpoolFormat.spoolTopic(lan);
            this.mirrors = new Mirrors(lan);
            for (String hp : hostPorts) {
                addresses.add(WanLinkClient.Address.parse(hp));
            }
        }

        @Override
        public List<WanFrame.Data> read(long fromSeq, int maxEntries) {
            long visible = topics.visibleThrough(spool);
            List<HistoryRecord> records = store.readFrom(spool, fromSeq, maxEntries);
            List<WanFrame.Data> out = new ArrayList<>(records.size());
            long expect = fromSeq;
            for (HistoryRecord r : records) {
                if (r.seq() > visible || r.seq() != expect) {
                    break; // not committed yet, or a trim raced the read (the sender starts over from firstSeq)
                }
                out.add(SpoolFormat.toFrame(r));
                expect++;
            }
            return out;
        }

        @Override
        public long firstSeq() {
            return store.topic(spool).map(TopicInfo::firstSeq).orElse(1L);
        }

        long depth() {
            long acked = Math.max(lastAcked, firstSeq - 1);
            return Math.max(0, lastSeq - acked);
        }

        String state() {
            WanLinkClient c = client;
            if (c == null) {
                return "standby"; // another node of this LAN is the active spooler
            }
            return switch (c.state()) {
                case UP -> "up";
                case CONNECTING -> "connecting";
                case DOWN -> "down";
                case REFUSED -> "refused";
                case STOPPED -> "standby";
            };
        }

        long framesSent() {
            WanLinkClient c = client;
            return framesSentBefore + (c == null ? 0 : c.sender().framesSent());
        }

        long framesResent() {
            WanLinkClient c = client;
            return framesResentBefore + (c == null ? 0 : c.sender().framesResent());
        }
    }

    public WanService(NodeConfig config, Vertx vertx, LocalTopicService topics, HistoryStore store,
                      Replicator replicator, long incarnation) {
        this.config = config;
        this.vertx = vertx;
        this.topics = topics;
        this.store = store;
        this.replicator = replicator;
        this.incarnation = incarnation;
        config.wanPeers().forEach((lan, hostPorts) -> peers.put(lan, new Peer(lan, hostPorts)));
    }

    /** Listens on the WAN port (blocking; at start-up) and starts the spoolers' loop. Returns the port. */
    public int start() throws Exception {
        server = new WanLinkServer(vertx, new NetServerOptions(), new Applier()).mirrorSource(new Source());
        wanPort = server.listen(config.bind(), config.wanPort());
        if (replicator != null) {
            replicator.onWanTrim((lan, through) -> {
                try {
                    thread.execute(() -> trimmed(lan, through)); // off the sequencer: trimming is RocksDB work
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    // shutting down: the next start trims from the next acknowledgement
                }
            });
        }
        thread.scheduleWithFixedDelay(this::tick, 0, 100, TimeUnit.MILLISECONDS);
        return wanPort;
    }

    public int port() {
        return wanPort;
    }

    public void registerMetrics(MeterRegistry registry) {
        for (Peer p : peers.values()) {
            Gauge.builder("backplane.wan.link.up", p, x -> "up".equals(x.state()) ? 1 : 0).tag("lan", p.lan)
                    .description("1 while this node's sending link to the peer LAN is up").register(registry);
            Gauge.builder("backplane.wan.link.active", p, x -> x.client != null ? 1 : 0).tag("lan", p.lan)
                    .description("1 while this node is its LAN's active spooler for the peer LAN").register(registry);
            Gauge.builder("backplane.wan.spool.depth", p, Peer::depth).tag("lan", p.lan)
                    .description("spooled posts not yet acknowledged by the peer LAN").register(registry);
            Gauge.builder("backplane.wan.spool.bytes", p, x -> x.bytes).tag("lan", p.lan)
                    .description("bytes held in the spool for the peer LAN").register(registry);
            Gauge.builder("backplane.wan.spool.age.seconds", p, x -> x.oldestMillis == 0 ? 0
                            : Math.max(0, System.currentTimeMillis() - x.oldestMillis) / 1000.0).tag("lan", p.lan)
                    .description("age of the oldest unacknowledged spooled post").register(registry);
            FunctionCounter.builder("backplane.wan.frames.sent", p, Peer::framesSent).tag("lan", p.lan)
                    .description("data frames sent to the peer LAN by this node").register(registry);
            FunctionCounter.builder("backplane.wan.frames.resent", p, Peer::framesResent).tag("lan", p.lan)
                    .description("data frames sent again (no acknowledgement in time, or a reconnection)").register(registry);
        }
        for (Peer p : peers.values()) {
            Gauge.builder("backplane.wan.mirror.patterns", p, x -> x.mirrors.patterns.size()).tag("lan", p.lan)
                    .description("patterns of the peer LAN this LAN mirrors (remote subscriptions)").register(registry);
            FunctionCounter.builder("backplane.wan.mirror.applied", p, x -> x.mirrors.applied.get()).tag("lan", p.lan)
                    .description("messages of the peer LAN's topics applied to mirrors through this node").register(registry);
        }
        FunctionCounter.builder("backplane.wan.mirror.streamed", this, s -> s.streamed.get())
                .description("messages of this LAN streamed to peer LANs' mirrors by this node").register(registry);
        FunctionCounter.builder("backplane.wan.duplicates.suppressed", this, s -> s.topics.wanGate().duplicatesSuppressed()
                        + (s.server == null ? 0 : s.server.counters().duplicatesSuppressed))
                .description("spooled posts from peer LANs recognised as already applied").register(registry);
        FunctionCounter.builder("backplane.wan.frames.applied", this, s -> s.server == null ? 0 : s.server.counters().framesApplied)
                .description("spooled posts from peer LANs applied through this node").register(registry);
    }

    // ---------------------------------------------------------------- posts to other LANs

    /**
     * Spools a post to {@code target@peerLan}: completes with the 202 answer once it is durable in this
     * LAN's spool (a retry with the same idempotency key answers 200 with the same body).
     */
    public CompletableFuture<PostResult> spool(String peerLan, String target, Payload payload, String idempotencyKey) {
        Peer p = peers.get(peerLan);
        if (p == null) {
            return CompletableFuture.failedFuture(new ServiceUnavailableException("no WAN link to LAN " + peerLan
                    + " is configured on this node (--wan-peer " + peerLan + "=HOST:PORT)"));
        }
        String full = spoolFull(p);
        if (full != null) {
            return CompletableFuture.failedFuture(new ServiceUnavailableException(full));
        }
        io.backplane.wan.CrashPoints.hit(io.backplane.wan.CrashPoints.SPOOL_BEFORE_APPEND);
        return topics.post(p.spool, SpoolFormat.spoolPayload(target, payload), SpoolFormat.spoolKey(target, idempotencyKey))
                .thenApply(r -> {
                    io.backplane.wan.CrashPoints.hit(io.backplane.wan.CrashPoints.SPOOL_BEFORE_ANSWER);
                    return new PostResult(SpoolFormat.spooledAnswer(target, peerLan, r.ackJson()), r.duplicate());
                });
    }

    private String spoolFull(Peer p) {
        if (p.depth() > 0 && p.bytes >= config.wanSpoolMaxBytes()) {
            return "the WAN spool for LAN " + p.lan + " is full (" + p.bytes + " bytes, limit "
                    + config.wanSpoolMaxBytes() + "); retry once the link drains it";
        }
        if (p.depth() > 0 && p.oldestMillis > 0
                && System.currentTimeMillis() - p.oldestMillis > config.wanSpoolMaxAgeMillis()) {
            return "the WAN spool for LAN " + p.lan + " is full (its oldest post waits for more than "
                    + config.wanSpoolMaxAgeMillis() / 1000 + " s); retry once the link drains it";
        }
        return null;
    }

    // ---------------------------------------------------------------- remote subscriptions (pattern@LAN)

    /**
     * A client subscribes to {@code pattern@peerLan}: makes sure this LAN mirrors the pattern (a record
     * in the replicated registry {@code ~mirrors/L}, which the active spooler streams from the peer),
     * and answers with the internal name the client's subscription takes locally. Completes
     * exceptionally when no link to the peer is configured or the registry cannot be written.
     */
    public CompletableFuture<String> mirror(String peerLan, String pattern) {
        Peer p = peers.get(peerLan);
        if (p == null) {
            return CompletableFuture.failedFuture(new ServiceUnavailableException("no WAN link to LAN " + peerLan
                    + " is configured on this node (--wan-peer " + peerLan + "=HOST:PORT)"));
        }
        String local = io.backplane.node.topic.MirrorNames.mirror(peerLan, pattern);
        if (p.mirrors.patterns.contains(pattern)) {
            return CompletableFuture.completedFuture(local);
        }
        Payload record = Payload.fromJsonValue(Payload.jsonString(pattern));
        return topics.post(io.backplane.node.topic.MirrorNames.registry(peerLan), record, pattern).thenApply(r -> {
            if (!r.duplicate()) {
                log.info("LAN {} now mirrors {}@{}", config.lan(), pattern, peerLan);
            }
            p.mirrors.learned(pattern);
            return local;
        });
    }

    /** Messages of this LAN's topics streamed to peer LANs' mirrors by this node. */
    private final java.util.concurrent.atomic.AtomicLong streamed = new java.util.concurrent.atomic.AtomicLong();

    /** This LAN's mirrors of one peer LAN's topics: the registry of patterns, resumption, and applying. */
    final class Mirrors implements io.backplane.wan.MirrorSink {
        /** Applies in flight before the link stops reading. */
        private static final int BACKLOG_MAX = 4096;
        final String lan;
        final String registry;
        volatile java.util.Set<String> patterns = java.util.Set.of();
        private long registryLastSeq = -1;
        private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicReference<String> failure = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicLong applied = new java.util.concurrent.atomic.AtomicLong();

        Mirrors(String lan) {
            this.lan = lan;
            this.registry = io.backplane.node.topic.MirrorNames.registry(lan);
        }

        /** Wan thread: re-reads the registry when it grew (it is replicated: every node learns every pattern). */
        void refreshPatterns() {
            java.util.Optional<TopicInfo> info = store.topic(registry);
            if (info.isEmpty() || info.get().lastSeq() == registryLastSeq) {
                return;
            }
            java.util.Set<String> next = new java.util.TreeSet<>(patterns);
            long visible = topics.visibleThrough(registry);
            long last = registryLastSeq;
            for (HistoryRecord r : store.readFrom(registry, 1, 100_000)) {
                if (r.seq() > visible) {
                    break;
                }
                String pattern = registryPattern(r.body());
                if (pattern != null) {
                    next.add(pattern);
                }
                last = r.seq();
            }
            registryLastSeq = last;
            patterns = java.util.Collections.unmodifiableSet(next);
        }

        synchronized void learned(String pattern) {
            if (!patterns.contains(pattern)) {
                java.util.Set<String> next = new java.util.TreeSet<>(patterns);
                next.add(pattern);
                patterns = java.util.Collections.unmodifiableSet(next);
            }
        }

        /**
         * The patterns the link asks the peer for: those no other registered pattern covers (two
         * overlapping streams would carry each message twice; the mirror would drop the second).
         */
        @Override
        public java.util.Collection<String> patterns() {
            java.util.Set<String> all = patterns;
            if (all != effectiveOf) {
                List<String> out = new ArrayList<>();
                for (String p : all) {
                    boolean covered = false;
                    for (String q : all) {
                        if (!q.equals(p) && io.backplane.node.topic.TopicPattern.covers(q, p)
                                && !(io.backplane.node.topic.TopicPattern.covers(p, q) && q.compareTo(p) > 0)) {
                            covered = true;
                            break;
                        }
                    }
                    if (!covered) {
                        out.add(p);
                    }
                }
                effective = List.copyOf(out);
                effectiveOf = all;
            }
            return effective;
        }

        private java.util.Set<String> effectiveOf;
        private List<String> effective = List.of();

        @Override
        public List<WanFrame.Resume> resume(String pattern) {
            String local = io.backplane.node.topic.MirrorNames.mirror(lan, pattern);
            boolean wildcard = io.backplane.node.topic.TopicName.isWildcard(pattern);
            io.backplane.node.topic.TopicPattern compiled = wildcard ? io.backplane.node.topic.TopicPattern.compile(local) : null;
            List<WanFrame.Resume> out = new ArrayList<>();
            for (TopicInfo t : store.topics(io.backplane.node.topic.MirrorNames.mirrorPrefix(lan))) {
                if (wildcard ? compiled.matches(t.topic()) : t.topic().equals(local)) {
                    out.add(new WanFrame.Resume(io.backplane.node.topic.MirrorNames.remotePath(lan, t.topic()), t.lastSeq() + 1));
                }
            }
            return out;
        }

        @Override
        public void onData(WanFrame.MirrorData d) {
            io.backplane.node.cluster.ReplicationMessage.Mirror m = checkMirrored(lan, d);
            inFlight.incrementAndGet();
            topics.applyMirror(m).whenComplete((r, e) -> {
                inFlight.decrementAndGet();
                if (e != null) {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                    failure.compareAndSet(null, cause.getMessage());
                } else if (!r.duplicate()) {
                    applied.incrementAndGet();
                }
            });
        }

        @Override
        public boolean backlogged() {
            return inFlight.get() >= BACKLOG_MAX;
        }

        @Override
        public String takeFailure() {
            return failure.getAndSet(null);
        }
    }

    /** The pattern a registry record names, or null when it is not one (never written by us). */
    private static String registryPattern(byte[] envelope) {
        try {
            com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(envelope).get("payload");
            return n != null && n.isTextual() ? n.asText() : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * A peer's message for a mirror, checked like client input: a valid topic of that LAN, an envelope of
     * ours for exactly that topic, LAN and seq, with a JSON-safe id, a timestamp, and well-formed JSON
     * with no raw control characters (a NUL would let a parser stop early).
     */
    io.backplane.node.cluster.ReplicationMessage.Mirror checkMirrored(String peerLan, WanFrame.MirrorData d) {
        try {
            io.backplane.node.topic.TopicName.Qualified q = io.backplane.node.topic.TopicName.parseTopic(d.topic());
            if (q.lan() != null) {
                throw new IllegalArgumentException("a mirrored topic carries no @LAN");
            }
            if (d.seq() < 1 || d.requestedFrom() < 0) {
                throw new IllegalArgumentException("seq " + d.seq() + ", requested from " + d.requestedFrom());
            }
            long maxEnvelope = 6L * config.limits().maxPayloadBytes() + 4096; // a payload JSON-escaped, plus the head
            if (d.envelope().length > maxEnvelope) {
                throw new IllegalArgumentException("envelope of " + d.envelope().length + " bytes");
            }
            io.backplane.node.topic.Envelopes.Head head = io.backplane.node.topic.Envelopes.head(d.envelope());
            if (!head.topic().equals(d.topic()) || !head.lan().equals(peerLan) || head.seq() != d.seq()) {
                throw new IllegalArgumentException("envelope names " + head.topic() + "@" + head.lan() + " seq " + head.seq());
            }
            if (!ID.matcher(head.id()).matches()) {
                throw new IllegalArgumentException("bad id");
            }
            long timestamp = java.time.Instant.parse(head.timestamp()).toEpochMilli();
            for (byte b : d.envelope()) {
                if ((b & 0xff) < 0x20 && b != '\t' && b != '\n' && b != '\r') {
                    throw new IllegalArgumentException("raw control character in the envelope");
                }
            }
            try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(d.envelope())) {
                if (parser.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                    throw new IllegalArgumentException("the envelope is no JSON object");
                }
                parser.skipChildren();
                if (parser.nextToken() != null) {
                    throw new IllegalArgumentException("bytes after the envelope");
                }
            }
            return new io.backplane.node.cluster.ReplicationMessage.Mirror(
                    io.backplane.node.topic.MirrorNames.mirror(peerLan, d.topic()), d.seq(), d.requestedFrom(), head.id(),
                    timestamp, d.envelope());
        } catch (IllegalArgumentException | io.backplane.node.topic.InvalidTopicException | java.io.IOException
                 | java.time.format.DateTimeParseException e) {
            throw new io.backplane.wan.WanProtocolException("LAN " + peerLan + " sent a bad message for the mirror of "
                    + d.topic() + " seq " + d.seq() + ": " + e.getMessage());
        }
    }

    /** Streams this LAN's topics to peer LANs that subscribed to them remotely. */
    private final class Source implements io.backplane.wan.MirrorSource {
        @Override
        public AutoCloseable open(String originLan, WanFrame.MirrorSubscribe request, Out out) {
            String pattern = request.pattern();
            try {
                io.backplane.node.topic.TopicName.Qualified q = io.backplane.node.topic.TopicName.parsePattern(pattern);
                if (q.lan() != null) {
                    throw new io.backplane.node.topic.InvalidTopicException("a remote subscription names no @LAN here");
                }
            } catch (io.backplane.node.topic.InvalidTopicException e) {
                throw new io.backplane.wan.WanProtocolException("LAN " + originLan + " asked for a bad pattern: " + e.getMessage());
            }
            Map<String, Long> resume = new java.util.HashMap<>();
            for (WanFrame.Resume r : request.resume()) {
                try {
                    io.backplane.node.topic.TopicName.parseTopic(r.topic());
                } catch (io.backplane.node.topic.InvalidTopicException e) {
                    throw new io.backplane.wan.WanProtocolException("LAN " + originLan + " resumes a bad topic: " + e.getMessage());
                }
                resume.put(r.topic(), Math.max(1, r.fromSeq()));
            }
            MirrorStream stream = new MirrorStream(pattern, resume, out);
            out.onWritable(() -> topics.replayRoomAvailable(stream));
            topics.subscribeFrom(stream, "mirror", pattern, resume);
            return () -> topics.disconnect(stream);
        }
    }

    /** One remote subscription as the topic service sees it: a subscriber whose frames go over the WAN link. */
    private final class MirrorStream implements io.backplane.node.topic.SubscriberSink {
        private final String pattern;
        private final Map<String, Long> resume;
        private final MirrorSource.Out out;
        /** Topics this stream sent a message of (topic service thread). */
        private final java.util.Set<String> started = new java.util.HashSet<>();

        MirrorStream(String pattern, Map<String, Long> resume, MirrorSource.Out out) {
            this.pattern = pattern;
            this.resume = resume;
            this.out = out;
        }

        @Override
        public boolean offer(io.backplane.node.topic.OutboundFrame frame) {
            if (frame instanceof io.backplane.node.topic.OutboundFrame.Delivery d) {
                io.backplane.node.topic.Envelopes.Head head = io.backplane.node.topic.Envelopes.head(d.envelope());
                long requestedFrom = started.add(head.topic()) ? resume.getOrDefault(head.topic(), 1L) : 0;
                streamed.incrementAndGet();
                return out.send(new WanFrame.MirrorData(head.topic(), head.seq(), requestedFrom, d.envelope()));
            }
            if (frame instanceof io.backplane.node.topic.OutboundFrame.Control c && c.json().startsWith("{\"type\":\"error\"")) {
                // The topic service ended the stream (this node stopped serving, or history could not be read).
                return out.send(new WanFrame.MirrorEnd(pattern, c.json()));
            }
            return true; // subscribed, replay-complete: nothing the peer needs
        }

        @Override
        public boolean hasReplayRoom() {
            return out.writable();
        }

        @Override
        public void slowConsumer() {
            out.fail("the remote subscription " + pattern + " fell behind");
        }
    }

    // ---------------------------------------------------------------- the spoolers' loop (wan thread)

    private void tick() {
        if (closed) {
            return;
        }
        try {
            Long epoch = activeEpoch();
            for (Peer p : peers.values()) {
                trimAndAnnounce(p);
                refreshDepth(p);
                p.mirrors.refreshPatterns();
                WanLinkClient c = p.client;
                if (epoch != null && (c == null || c.sender().epoch() != epoch)) {
                    stopLink(p);
                    startLink(p, epoch);
                } else if (epoch == null && c != null) {
                    log.info("no longer the active spooler for LAN {}", p.lan);
                    stopLink(p);
                }
            }
        } catch (RuntimeException e) {
            log.warn("WAN spooler loop: {}", e.toString(), e);
        }
    }

    /** This node's sender epoch while it is its LAN's active spooler, else null. */
    private Long activeEpoch() {
        if (topics.unavailableReason() != null) {
            return null;
        }
        if (replicator == null) {
            return incarnation;
        }
        io.backplane.group.protocol.View v = replicator.view();
        if (v == null || !replicator.isServing() || !v.coordinator().equals(replicator.link().self())) {
            return null;
        }
        return (replicator.era() << 32) | (v.id() & 0xffffffffL);
    }

    private void startLink(Peer p, long epoch) {
        WanSender sender = new WanSender(config.lan(), p.lan, epoch, config.nodeId(), WanSender.Config.defaults(),
                new WanSender.Listener() {
                    @Override
                    public void acknowledged(long through) {
                        onAcknowledged(p, through); // on the link's thread: trimming may block it, not an event loop
                    }

                    @Override
                    public void refused(String reason) {
                        log.warn("LAN {} refused this spooler (epoch {}): {}", p.lan, epoch, reason);
                    }
                });
        WanLinkClient c = new WanLinkClient(vertx, new NetClientOptions(), p.lan, p.addresses, sender, p).mirror(p.mirrors);
        p.client = c;
        log.info("active spooler for LAN {} (epoch {}), peers {}", p.lan, epoch, p.addresses);
        c.start();
    }

    private void stopLink(Peer p) {
        WanLinkClient c = p.client;
        if (c == null) {
            return;
        }
        p.framesSentBefore += c.sender().framesSent();
        p.framesResentBefore += c.sender().framesResent();
        p.client = null;
        c.close();
    }

    private void onAcknowledged(Peer p, long through) {
        io.backplane.wan.CrashPoints.hit(io.backplane.wan.CrashPoints.BEFORE_TRIM);
        trimmed(p.lan, through);
    }

    /**
     * The peer holds the spool durably through {@code through} (any member learns it): recorded here,
     * trimmed by {@link #trimAndAnnounce} at most ten times a second — one range delete per acknowledgement
     * would leave RocksDB a tombstone per message to skip on every read of the spool.
     */
    private void trimmed(String lan, long through) {
        Peer p = peers.get(lan);
        if (p == null || closed) {
            return;
        }
        synchronized (p) {
            if (through > p.lastAcked) {
                p.lastAcked = through;
            }
        }
    }

    /** Wan thread: trims this replica of the spool to the acknowledgement, and the active spooler tells the LAN. */
    private void trimAndAnnounce(Peer p) {
        long acked = p.lastAcked;
        if (acked > p.trimmedThrough) {
            store.trimThrough(p.spool, acked);
            p.trimmedThrough = acked;
        }
        if (replicator != null && p.client != null && acked > p.announced) {
            replicator.multicastWanTrim(p.lan, acked);
            p.announced = acked;
        }
    }

    private void refreshDepth(Peer p) {
        java.util.Optional<TopicInfo> info = store.topic(p.spool);
        if (info.isEmpty()) {
            return;
        }
        p.firstSeq = info.get().firstSeq();
        p.lastSeq = info.get().lastSeq();
        p.bytes = store.retainedBytes(p.spool);
        long acked = Math.max(p.lastAcked, p.firstSeq - 1);
        if (p.lastSeq > acked) {
            List<HistoryRecord> oldest = store.readFrom(p.spool, acked + 1, 1);
            p.oldestMillis = oldest.isEmpty() ? 0 : oldest.get(0).timestampMillis();
        } else {
            p.oldestMillis = 0;
        }
    }

    // ---------------------------------------------------------------- /api/v1/wan/links

    /** {@code {"links":[{"lan","state","spooled","lastAcked",…}]}} (CONTRACT.md §4, plus additive fields). */
    public String linksJson() {
        StringBuilder out = new StringBuilder(256).append("{\"links\":[");
        boolean first = true;
        for (Peer p : peers.values()) {
            WanLinkClient c = p.client;
            out.append(first ? "" : ",").append("{\"lan\":\"").append(p.lan)
                    .append("\",\"state\":\"").append(p.state())
                    .append("\",\"spooled\":").append(p.depth())
                    .append(",\"lastAcked\":").append(Math.max(0, Math.max(p.lastAcked, p.firstSeq - 1)))
                    .append(",\"active\":").append(c != null)
                    .append(",\"epoch\":").append(c == null ? 0 : c.sender().epoch())
                    .append(",\"spoolFirstSeq\":").append(p.firstSeq)
                    .append(",\"spoolLastSeq\":").append(p.lastSeq)
                    .append(",\"spoolBytes\":").append(p.bytes)
                    .append(",\"oldestAgeMillis\":").append(p.oldestMillis == 0 ? 0 : Math.max(0, System.currentTimeMillis() - p.oldestMillis))
                    .append(",\"framesSent\":").append(p.framesSent())
                    .append(",\"framesResent\":").append(p.framesResent())
                    .append(",\"connectedTo\":").append(c == null || c.connectedTo() == null ? "null" : "\"" + c.connectedTo() + "\"")
                    .append(",\"lastError\":\"").append(c == null ? "" : jsonSafe(c.lastError())).append('"')
                    .append(",\"mirrors\":[");
            boolean firstPattern = true;
            for (String pattern : p.mirrors.patterns) {
                out.append(firstPattern ? "\"" : ",\"").append(pattern).append('"'); // patterns are JSON-safe by the naming rules
                firstPattern = false;
            }
            out.append("],\"mirrorApplied\":").append(p.mirrors.applied.get()).append('}');
            first = false;
        }
        out.append("],\"inbound\":[");
        first = true;
        if (server != null) {
            for (WanLinkServer.Inbound in : server.inbound()) {
                out.append(first ? "" : ",").append("{\"lan\":\"").append(in.originLan())
                        .append("\",\"epoch\":").append(in.epoch())
                        .append(",\"remote\":\"").append(jsonSafe(in.remoteAddress())).append("\"}");
                first = false;
            }
        }
        out.append("],\"applied\":{");
        first = true;
        for (var e : topics.wanGate().published().entrySet()) {
            out.append(first ? "" : ",").append('"').append(e.getKey()).append("\":{\"epoch\":")
                    .append(e.getValue().epoch()).append(",\"spoolSeq\":").append(e.getValue().spoolSeq()).append('}');
            first = false;
        }
        out.append("},\"duplicatesSuppressed\":").append(topics.wanGate().duplicatesSuppressed()
                + (server == null ? 0 : server.counters().duplicatesSuppressed));
        return out.append('}').toString();
    }

    private static String jsonSafe(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20) {
                b.append(' ');
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- receiving

    private final class Applier implements WanApplier {
        @Override
        public String lan() {
            return config.lan();
        }

        @Override
        public String admit(String originLan, long epoch) {
            String reason = topics.unavailableReason();
            if (reason != null) {
                return "LAN " + config.lan() + " node " + config.nodeId() + " does not serve: " + reason;
            }
            long known = topics.wanGate().epoch(originLan);
            return epoch < known ? "epoch " + epoch + " of LAN " + originLan + " is fenced by epoch " + known : null;
        }

        @Override
        public long appliedHint(String originLan) {
            return topics.wanGate().appliedHint(originLan);
        }

        @Override
        public CompletableFuture<Outcome> apply(String originLan, long epoch, WanFrame.Data data) {
            // What a peer sends is checked like a client's post: a valid topic of this LAN, a JSON-safe id.
            try {
                io.backplane.node.topic.TopicName.Qualified q = io.backplane.node.topic.TopicName.parseTopic(data.topic());
                if (q.lan() != null) {
                    throw new io.backplane.node.topic.InvalidTopicException("a spooled topic carries no @LAN");
                }
            } catch (io.backplane.node.topic.InvalidTopicException e) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("spool seq " + data.spoolSeq()
                        + " names a bad topic: " + e.getMessage()));
            }
            if (!ID.matcher(data.id()).matches()) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("spool seq " + data.spoolSeq() + " has a bad id"));
            }
            return topics.applyRemote(originLan, epoch, data);
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Peer p : peers.values()) {
            stopLink(p);
        }
        if (server != null) {
            server.close();
        }
    }
}
