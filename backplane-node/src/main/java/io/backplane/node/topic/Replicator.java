package io.backplane.node.topic;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import io.backplane.history.AppendRequest;
import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreOverloadedException;
import io.backplane.history.TopicInfo;
import io.backplane.node.cluster.CatchUp;
import io.backplane.node.cluster.ClusterState;
import io.backplane.node.cluster.GroupLink;
import io.backplane.node.cluster.ReplicationMessage;
import io.backplane.node.cluster.ReplicationMessage.Mark;
import io.backplane.node.cluster.ReplicationMessage.Post;
import io.backplane.node.cluster.ReplicationMessage.Promise;
import io.backplane.node.cluster.ReplicationMessage.Status;
import io.backplane.node.cluster.ReplicationMessage.TopicEntry;
import io.backplane.node.cluster.ReplicationMessage.WanTrim;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicates the node's topics across its LAN (DESIGN.md §4; docs/ARCHITECTURE.md §10 has the
 * argument). Every node of a LAN of up to five replicates every topic, so each topic's process group
 * is the LAN group itself and a topic's total order is its slice of the LAN's ABCAST order.
 *
 * <ol>
 *   <li><b>Sequencing.</b> A post taken by any node is multicast by ABCAST. Every member assigns the
 *       topic's next {@code seq} as it delivers it, so all members assign the same seqs. Idempotency
 *       keys are checked at the same point, against this member's history and the keys still in
 *       flight, so a retry at another node is recognised everywhere alike.</li>
 *   <li><b>Persisting only the settled.</b> A member appends a message to RocksDB only once it is
 *       stable ({@link Effect.Stable}: every member of the view delivered it) or its view ended (the
 *       flush settles everything delivered in it at every survivor). ABCAST delivery is not uniform —
 *       a member that crashes may have delivered what the survivors order otherwise — but no member
 *       ever stores such a message, so every member's history is a prefix of the group's.</li>
 *   <li><b>Commit.</b> Members multicast {@link Mark}s of how far they have stored. A place in the
 *       order is committed once a majority of {@code max(LAN size, view size)} marked past it: only
 *       then does the taking node answer 201 and does any node show the message to subscribers or
 *       history readers. A committed message is on a majority of the LAN's nodes, so it survives
 *       anything short of losing that majority, including every node restarting at once.</li>
 *   <li><b>Joining.</b> At every view install each member multicasts its {@link Status}. If the
 *       coordinator serves, its status is the cut: a joiner fetches what it lacks from it (only the
 *       suffix after its own history), then applies the messages of the new view it held back. If
 *       nobody serves (the whole LAN restarted), the members wait for a majority, and take for each
 *       topic the longest history among the members of the newest era: every committed message is on
 *       a majority, so one of them has it, and within an era histories are prefixes of each other.</li>
 * </ol>
 *
 * <p>All methods run on the topic service's sequencer thread; group effects are handed over to it
 * in order.
 */
public final class Replicator {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    private static final long POST_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * Posts handed to the group and not yet delivered back, beyond which posts get 429. Well below the
     * engine's own request queue (4096), so that statuses, promises and marks always find room: a
     * refused one of those would stall joiners or commits.
     */
    private static final int PROPOSALS_MAX = 2048;
    /** Posts a catching-up node holds back before it gives up and rejoins (about 1 GB at 1 KB each). */
    private static final int HELD_BACK_MAX = 1_000_000;
    /** How long our own status or promise may go unseen before it is multicast again. */
    private static final long RESEND_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A place in the LAN's ABCAST order: ordinal {@code ordinal} of view {@code viewId}. */
    record Position(long viewId, long ordinal) implements Comparable<Position> {
        static final Position ZERO = new Position(0, 0);

        @Override
        public int compareTo(Position o) {
            int c = Long.compare(viewId, o.viewId);
            return c != 0 ? c : Long.compare(ordinal, o.ordinal);
        }

        boolean atLeast(Position o) {
            return compareTo(o) >= 0;
        }
    }

    /** A post this node took, until it is answered. */
    private static final class Origin {
        final CompletableFuture<PostResult> result;
        final long receivedNanos;
        Position position;
        byte[] ack;
        boolean duplicate;

        Origin(CompletableFuture<PostResult> result, long receivedNanos) {
            this.result = result;
            this.receivedNanos = receivedNanos;
        }
    }

    /** A delivered post at its place in the order: a new message, or a duplicate (no record). */
    private static final class Entry {
        final Position position;
        final LocalTopicService.TopicState topic;
        final HistoryRecord record;
        final String key;
        final byte[] ack;
        final long receivedNanos;
        /** Set for a spooled post from another LAN: its high-water mark, stored in the same batch (WanGate). */
        io.backplane.history.WanMark wanMark;
        /** Set for a mirrored message after a gap its LAN no longer holds: the store skips to it first (MirrorGate). */
        long skipTo;
        /** Completes once stored here; made when the entry is queued, completed when the store says so. */
        final CompletableFuture<Void> durable = new CompletableFuture<>();

        Entry(Position position, LocalTopicService.TopicState topic, HistoryRecord record, String key, byte[] ack,
              long receivedNanos) {
            this.position = position;
            this.topic = topic;
            this.record = record;
            this.key = key;
            this.ack = ack;
            this.receivedNanos = receivedNanos;
        }
    }

    private final LocalTopicService service;
    private final HistoryStore store;
    private final long keyWindowMillis;
    private final int keysPerTopic;
    private final GroupLink.Factory links;
    private final ClusterState clusterState;
    private final ClusterMetrics metrics;
    private final ExecutorService catchUpThread =
            Executors.newSingleThreadExecutor(r -> daemon(r, "backplane-catch-up"));
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "backplane-cluster-timer"));

    private volatile GroupLink link;
    private volatile View view;
    private boolean available = true;
    /** Whether this node served at the last {@link #publishState}. */
    private boolean open;
    /** Set when this node can no longer store (or rejoin): it stays unavailable until restarted. */
    private volatile String storageFailure;
    private volatile boolean serving;
    private volatile boolean closed;
    private volatile long era;
    /** The WAN marks of the cut being applied (WanGate), decided with {@link #cut}. */
    private List<io.backplane.history.WanMark> cutWanMarks = List.of();
    /** Told when a member says the peer LAN acknowledged a spool through a seq (any member may trim). */
    private volatile java.util.function.BiConsumer<String, Long> wanTrimListener;

    // Order and stability within the current view.
    private long ordinal;
    private long stableThrough;
    private final ArrayDeque<Entry> unstable = new ArrayDeque<>();
    private final ArrayDeque<Entry> storing = new ArrayDeque<>();
    private Position durable = Position.ZERO;
    private Position markSent = Position.ZERO;
    private boolean markScheduled;
    private final Map<ProcessId, Position> marks = new HashMap<>();
    private Position committed = Position.ZERO;
    private final ArrayDeque<Entry> awaitingCommit = new ArrayDeque<>();

    // Posts taken here.
    private final Map<String, Origin> proposed = new HashMap<>();
    private final TreeMap<Position, List<Origin>> awaitingAck = new TreeMap<>();

    // Joining: statuses of the current view, the posts held back until the cut is applied.
    private final Map<ProcessId, Status> statuses = new HashMap<>();
    private final List<Object[]> heldBack = new ArrayList<>();
    private volatile CatchUp.Cut cut; // read by the catch-up thread to see it was superseded
    /** Catch-up finished for {@link #cut}; waiting for a majority's promises (a recovery only). */
    private CatchUp.Result caughtUp;
    private final java.util.Set<ProcessId> promises = new java.util.HashSet<>();
    /** Set when this node applied a cut: it shows nothing until a majority holds the cut (marks past (view, 0)). */
    private boolean cutCommitPending;

    // Our own status and promise of the current view, resent until seen delivered (a refused multicast).
    private byte[] statusBytes;
    private long statusSentNanos;
    private boolean ownStatusSeen;
    private byte[] promiseBytes;
    private long promiseSentNanos;
    private boolean ownPromiseSeen;

    /** Entries queued for the store in order; the head is handed over first (the store is gapless). */
    private final ArrayDeque<Entry> toIssue = new ArrayDeque<>();
    private boolean issueRetryScheduled;

    /**
     * @param keyWindowMillis how long an idempotency key is recognised (the node's idempotency retention)
     * @param keysPerTopic    how many of a topic's newest keys are recognised
     */
    public Replicator(LocalTopicService service, GroupLink.Factory links, ClusterState clusterState,
                      ClusterMetrics metrics, long keyWindowMillis, int keysPerTopic) {
        this.keyWindowMillis = keyWindowMillis;
        this.keysPerTopic = keysPerTopic;
        this.service = service;
        this.store = service.store();
        this.links = links;
        this.clusterState = clusterState;
        this.metrics = metrics;
        this.era = clusterState.era();
        service.setUnavailable("joining the LAN"); // before the HTTP listener opens: never a single node
        service.attachReplicator(this);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Joins the LAN group; the node serves once a view with a cut is reached (see {@link #serving}). */
    public void start() throws java.io.IOException {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        service.runOnSequencer(() -> {
            for (LocalTopicService.TopicState st : service.topicStates().values()) {
                st.lastId = lastIdInStore(st.name, st.lastSeq);
            }
            ready.complete(null);
        });
        ready.join();
        link = links.create();
        GroupLink current = link;
        current.start(effect -> service.runOnSequencer(() -> onEffect(current, effect)));
        timer.scheduleAtFixedRate(() -> service.runOnSequencer(this::expirePosts), 1, 1, TimeUnit.SECONDS);
        timer.scheduleAtFixedRate(() -> service.runOnSequencer(this::resendIfUnseen), 250, 250, TimeUnit.MILLISECONDS);
    }

    /**
     * The engine may refuse a multicast when its request queue is full, and says so only by a request
     * id we do not keep. Control messages must not be lost that way: our status and promise are sent
     * again until we see them delivered, and while anything waits for a commit our mark is repeated.
     */
    private void resendIfUnseen() {
        if (closed || view == null) {
            return;
        }
        long now = System.nanoTime();
        if (statusBytes != null && !ownStatusSeen && now - statusSentNanos > RESEND_NANOS) {
            statusSentNanos = now;
            multicastQuietly(Kind.ABCAST, statusBytes);
        }
        if (promiseBytes != null && !ownPromiseSeen && now - promiseSentNanos > RESEND_NANOS) {
            promiseSentNanos = now;
            multicastQuietly(Kind.ABCAST, promiseBytes);
        }
        if (serving && (!awaitingCommit.isEmpty() || !awaitingAck.isEmpty() || cutCommitPending)) {
            markSent = Position.ZERO;
            scheduleMark();
        }
    }

    private void multicastQuietly(Kind kind, byte[] bytes) {
        try {
            link.multicast(kind, bytes);
        } catch (IllegalStateException full) {
            // resendIfUnseen tries again
        }
    }

    /** The current incarnation's link (any thread; changes when the node rejoins). */
    public GroupLink link() {
        return link;
    }

    /** The last installed view, or null (any thread). */
    public View view() {
        return view;
    }

    /**
     * Where replication stands here, as a JSON object for {@code /api/v1/cluster} (operators and
     * tests): stored, committed and stable places in the order, what waits, and every member's mark.
     * Taken on the sequencer thread; "{}" when it does not answer within a second.
     */
    public String replicationJson() {
        CompletableFuture<String> out = new CompletableFuture<>();
        if (!service.runOnSequencer(() -> {
            StringBuilder b = new StringBuilder(256);
            b.append("{\"era\":").append(era)
                    .append(",\"durable\":\"").append(durable.viewId()).append('.').append(durable.ordinal())
                    .append("\",\"committed\":\"").append(committed.viewId()).append('.').append(committed.ordinal())
                    .append("\",\"ordinal\":").append(ordinal)
                    .append(",\"stableThrough\":").append(stableThrough)
                    .append(",\"unstable\":").append(unstable.size())
                    .append(",\"storing\":").append(storing.size())
                    .append(",\"awaitingCommit\":").append(awaitingCommit.size())
                    .append(",\"awaitingAck\":").append(awaitingAck.size())
                    .append(",\"proposed\":").append(proposed.size())
                    .append(",\"heldBack\":").append(heldBack.size())
                    .append(",\"marks\":{");
            boolean first = true;
            for (Map.Entry<ProcessId, Position> e : marks.entrySet()) {
                b.append(first ? "\"" : ",\"").append(link.nodeName(e.getKey())).append("\":\"")
                        .append(e.getValue().viewId()).append('.').append(e.getValue().ordinal()).append('"');
                first = false;
            }
            out.complete(b.append("}}").toString());
        })) {
            return "{}";
        }
        try {
            return out.get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "{}";
        }
    }

    /** True once this node holds the LAN's histories and takes posts (any thread). */
    public boolean isServing() {
        return serving;
    }

    // ---------------------------------------------------------------- posts taken here

    void propose(String topic, Payload payload, String idempotencyKey, long receivedNanos,
                 CompletableFuture<PostResult> result) {
        String reason = unavailableReason();
        if (reason != null) {
            result.completeExceptionally(new ServiceUnavailableException(reason));
            return;
        }
        if (proposed.size() >= PROPOSALS_MAX) {
            result.completeExceptionally(new TooManyRequestsException(
                    "more than " + PROPOSALS_MAX + " posts are being ordered by the LAN; retry shortly"));
            return;
        }
        String id = service.nextMessageId();
        Post post = new Post(id, topic, System.currentTimeMillis(), idempotencyKey, payload.contentTypeJson(),
                payload.envelopeTail());
        try {
            link.multicast(Kind.ABCAST, ReplicationMessage.encode(post));
        } catch (IllegalStateException e) {
            result.completeExceptionally(new TooManyRequestsException("the LAN group's send queue is full; retry shortly"));
            return;
        }
        proposed.put(id, new Origin(result, receivedNanos));
    }

    /**
     * Proposes a post spooled to this LAN by another one; {@link #sequence} decides at its place in the
     * order whether it is applied, a duplicate, or refused (WanGate), alike on every member.
     */
    void proposeRemote(String origin, long epoch, io.backplane.wan.WanFrame.Data data, long receivedNanos,
                       CompletableFuture<PostResult> result) {
        String reason = unavailableReason();
        if (reason != null) {
            result.completeExceptionally(new ServiceUnavailableException(reason));
            return;
        }
        Origin inFlight = proposed.get(data.id());
        if (inFlight != null) {
            // Resent over a new connection while the first proposal is still being ordered: one answer for both.
            inFlight.result.whenComplete((r, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(r);
                }
            });
            return;
        }
        if (proposed.size() >= PROPOSALS_MAX) {
            result.completeExceptionally(new TooManyRequestsException("the LAN is ordering too many posts; retry shortly"));
            return;
        }
        Post post = new Post(data.id(), data.topic(), System.currentTimeMillis(), null, data.contentTypeJson(),
                data.envelopeTail(), new ReplicationMessage.WanOrigin(origin, epoch, data.spoolSeq()));
        try {
            link.multicast(Kind.ABCAST, ReplicationMessage.encode(post));
        } catch (IllegalStateException e) {
            result.completeExceptionally(new TooManyRequestsException("the LAN group's send queue is full; retry shortly"));
            return;
        }
        proposed.put(data.id(), new Origin(result, receivedNanos));
    }

    /** The era of the history this node holds (any thread): part of its WAN sender epoch. */
    public long era() {
        return era;
    }

    /** Multicasts that LAN {@code lan} acknowledged this LAN's spool for it through {@code through}. */
    public void multicastWanTrim(String lan, long through) {
        service.runOnSequencer(() -> {
            if (!closed && view != null) {
                multicastQuietly(Kind.CBCAST, ReplicationMessage.encode(new WanTrim(lan, through)));
            }
        });
    }

    public void onWanTrim(java.util.function.BiConsumer<String, Long> listener) {
        this.wanTrimListener = listener;
    }

    private void expirePosts() {
        long now = System.nanoTime();
        Iterator<Origin> it = proposed.values().iterator();
        while (it.hasNext()) {
            Origin o = it.next();
            if (now - o.receivedNanos > POST_TIMEOUT_NANOS) {
                it.remove();
                timeOut(o);
            }
        }
        for (Iterator<List<Origin>> lists = awaitingAck.values().iterator(); lists.hasNext(); ) {
            List<Origin> list = lists.next();
            list.removeIf(o -> {
                if (now - o.receivedNanos > POST_TIMEOUT_NANOS) {
                    timeOut(o);
                    return true;
                }
                return false;
            });
            if (list.isEmpty()) {
                lists.remove();
            }
        }
    }

    private void timeOut(Origin o) {
        metrics.postTimedOut();
        o.result.completeExceptionally(new ServiceUnavailableException(
                "the post was not acknowledged by a majority of the LAN within 10 s; retry it with the same Idempotency-Key"));
    }

    // ---------------------------------------------------------------- group effects

    private void onEffect(GroupLink from, Effect effect) {
        if (from != link || closed) {
            return; // an effect of an incarnation we already gave up
        }
        if (effect instanceof Effect.Deliver d) {
            onDeliver(d);
        } else if (effect instanceof Effect.Stable s) {
            onStable(s.viewId(), s.abcastThrough());
        } else if (effect instanceof Effect.InstallView iv) {
            onInstall(iv.view());
        } else if (effect instanceof Effect.Availability a) {
            onAvailability(a.available(), a.reason());
        } else if (effect instanceof Effect.Excluded || effect instanceof Effect.Left) {
            onExcluded(effect);
        }
    }

    private void onDeliver(Effect.Deliver d) {
        ReplicationMessage m;
        try {
            m = ReplicationMessage.decode(d.payload());
        } catch (IllegalArgumentException e) {
            log.error("dropping an undecodable replication message from {}: {}", d.id().sender(), e.getMessage());
            if (d.kind() == Kind.ABCAST) {
                ordinal++; // it still holds its place in the order
            }
            return;
        }
        if (m instanceof Mark mark) {
            onMark(d.id().sender(), mark);
            return;
        }
        if (m instanceof WanTrim trim) {
            java.util.function.BiConsumer<String, Long> l = wanTrimListener;
            if (l != null) {
                l.accept(trim.lan(), trim.through());
            }
            if (d.kind() == Kind.ABCAST) {
                ordinal++;
            }
            return;
        }
        if (d.kind() != Kind.ABCAST) {
            log.error("ignoring a {} sent by CBCAST from {}", m.getClass().getSimpleName(), d.id().sender());
            return;
        }
        Position position = new Position(d.viewId(), ++ordinal);
        if (m instanceof Status status) {
            onStatus(d.id().sender(), status);
        } else if (m instanceof Promise promise) {
            onPromise(d.id().sender(), promise);
        } else if (m instanceof Post || m instanceof ReplicationMessage.Mirror) {
            if (serving) {
                sequenceAny(position, m);
            } else if (heldBack.size() < HELD_BACK_MAX) {
                heldBack.add(new Object[]{position, m});
            } else {
                // The LAN posts faster than this node catches up: start over as a new incarnation
                // rather than hold an unbounded backlog (the view goes on without us meanwhile).
                log.error("more than {} posts held back while catching up; rejoining", HELD_BACK_MAX);
                onExcluded(new Effect.Excluded(view.id()));
            }
        }
    }

    private void sequenceAny(Position position, ReplicationMessage m) {
        if (m instanceof ReplicationMessage.Mirror mirror) {
            sequenceMirror(position, mirror);
        } else {
            sequence(position, (Post) m);
        }
    }

    /**
     * Proposes a message of another LAN's topic for this LAN's mirror of it; {@link #sequenceMirror}
     * decides at its place in the order (MirrorGate), alike on every member.
     */
    void proposeMirror(ReplicationMessage.Mirror mirror, long receivedNanos, CompletableFuture<PostResult> result) {
        String reason = unavailableReason();
        if (reason != null) {
            result.completeExceptionally(new ServiceUnavailableException(reason));
            return;
        }
        String key = mirrorKey(mirror);
        Origin inFlight = proposed.get(key);
        if (inFlight != null) {
            // Streamed again (a new connection, or two patterns covering one topic) while the first is ordered.
            inFlight.result.whenComplete((r, e) -> {
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(new PostResult(new byte[0], true));
                }
            });
            return;
        }
        if (proposed.size() >= PROPOSALS_MAX) {
            result.completeExceptionally(new TooManyRequestsException("the LAN is ordering too many posts; retry shortly"));
            return;
        }
        try {
            link.multicast(Kind.ABCAST, ReplicationMessage.encode(mirror));
        } catch (IllegalStateException e) {
            result.completeExceptionally(new TooManyRequestsException("the LAN group's send queue is full; retry shortly"));
            return;
        }
        proposed.put(key, new Origin(result, receivedNanos));
    }

    /** Proposals are found again by id; a mirrored message's own id may also be a post of ours (spooled to that LAN). */
    private static String mirrorKey(ReplicationMessage.Mirror m) {
        return "mirror " + m.topic() + " " + m.seq();
    }

    /** A mirrored message at its place in the order: applied (maybe over a gap), or a duplicate, or refused. */
    private void sequenceMirror(Position position, ReplicationMessage.Mirror m) {
        LocalTopicService.TopicState st = service.topicState(m.topic());
        Origin origin = proposed.remove(mirrorKey(m));
        long receivedNanos = origin == null ? System.nanoTime() : origin.receivedNanos;
        MirrorGate.Decision decision = MirrorGate.decide(st.lastSeq, m.seq(), m.requestedFrom());
        if (decision == MirrorGate.Decision.OUT_OF_ORDER) {
            if (origin != null) {
                origin.result.completeExceptionally(LocalTopicService.mirrorOutOfOrder(m, st.lastSeq));
            }
            return;
        }
        Entry entry;
        if (decision == MirrorGate.Decision.DUPLICATE) {
            service.metrics().mirrorDuplicate();
            entry = new Entry(position, st, null, null, new byte[0], receivedNanos);
        } else {
            st.lastSeq = m.seq();
            st.lastTimestampMillis = Math.max(st.lastTimestampMillis, m.timestampMillis());
            st.lastId = m.id();
            entry = new Entry(position, st, new HistoryRecord(m.seq(), m.timestampMillis(), m.envelope()), null,
                    new byte[0], receivedNanos);
            if (decision == MirrorGate.Decision.SKIP_THEN_APPLY) {
                entry.skipTo = m.seq();
            }
        }
        if (origin != null) {
            origin.position = position;
            origin.ack = entry.ack;
            origin.duplicate = entry.record == null;
            awaitingAck.computeIfAbsent(position, p -> new ArrayList<>(1)).add(origin);
        }
        unstable.addLast(entry);
        if (position.ordinal() <= stableThrough) {
            storeStable();
        }
    }

    /** Assigns the post its seq (or recognises it as a retry) at its place in the order. */
    private void sequence(Position position, Post post) {
        LocalTopicService.TopicState st = service.topicState(post.topic());
        Origin origin = proposed.remove(post.id());
        long receivedNanos = origin == null ? System.nanoTime() : origin.receivedNanos;
        Entry entry;
        WanGate.Decision wan = post.wan() == null ? null
                : service.wanGate().decide(post.wan().originLan(), post.wan().epoch(), post.wan().spoolSeq());
        RuntimeException refused = wan == null ? null : LocalTopicService.refusal(wan, post.wan().originLan(),
                post.wan().epoch(), post.wan().spoolSeq(), service.wanGate());
        if (refused != null) {
            // Nothing stored, on any member; the receiving node closes its link and the sender resends.
            if (origin != null) {
                origin.result.completeExceptionally(refused);
            }
            return;
        }
        byte[] firstAck = wan == WanGate.Decision.DUPLICATE ? new byte[0]
                : post.idempotencyKey() == null ? null
                : answeredBefore(st, post.idempotencyKey(), post.timestampMillis());
        if (firstAck != null) {
            entry = new Entry(position, st, null, null, firstAck, receivedNanos);
            metrics.duplicate();
        } else {
            long seq = ++st.lastSeq;
            long ts = Math.max(post.timestampMillis(), st.lastTimestampMillis);
            st.lastTimestampMillis = ts;
            st.lastId = post.id();
            Payload payload = Payload.fromEncoded(post.contentTypeJson(), post.envelopeTail());
            String lan = service.config().lan();
            byte[] envelope = Envelopes.full(st.name, lan, seq, post.id(), ts, payload);
            byte[] ack = Envelopes.ack(st.name, lan, seq, post.id(), ts, payload);
            if (post.idempotencyKey() != null) {
                if (st.replicatedKeys == null) {
                    st.replicatedKeys = new HashMap<>();
                }
                st.replicatedKeys.put(post.idempotencyKey(), ack);
            }
            entry = new Entry(position, st, new HistoryRecord(seq, ts, envelope), post.idempotencyKey(), ack, receivedNanos);
            if (wan == WanGate.Decision.APPLY) {
                entry.wanMark = service.wanGate().markFor(post.wan().originLan());
            }
        }
        if (origin != null) {
            origin.position = position;
            origin.ack = entry.ack;
            origin.duplicate = entry.record == null;
            awaitingAck.computeIfAbsent(position, p -> new ArrayList<>(1)).add(origin);
        }
        unstable.addLast(entry);
        if (position.ordinal() <= stableThrough) {
            storeStable();
        }
    }

    /**
     * The first post's answer when {@code key} was used before on this topic, else null. Every replica
     * must decide alike, but each prunes old keys on its own schedule and clock; so a stored key counts
     * only within a window every replica still holds (the store keeps keys an hour past it, and the
     * newest {@code keysPerTopic} keys): the first post is fewer than {@code keysPerTopic} seqs back and
     * its timestamp less than {@code keyWindowMillis} before this post's (both known alike everywhere).
     */
    private byte[] answeredBefore(LocalTopicService.TopicState st, String key, long postTimestampMillis) {
        byte[] ack = st.replicatedKeys == null ? null : st.replicatedKeys.get(key);
        if (ack == null) {
            ack = store.idempotencyEntry(st.name, key).orElse(null);
        }
        if (ack == null) {
            return null;
        }
        // The same window whether the first post is stored here yet or not: a replica that is behind
        // (a joiner applying held-back posts) must not decide otherwise than one that stored it.
        long firstSeq = AckFields.seq(ack);
        long firstMillis = AckFields.timestampMillis(ack);
        if (st.lastSeq - firstSeq >= keysPerTopic || postTimestampMillis - firstMillis >= keyWindowMillis) {
            return null; // expired by the rule, even where this replica has not pruned it yet
        }
        return ack;
    }

    private void onStable(long viewId, long through) {
        View v = view;
        if (v == null || viewId != v.id() || through <= stableThrough) {
            return;
        }
        stableThrough = through;
        storeStable();
    }

    /** Stores, in order, every sequenced entry that is stable. */
    private void storeStable() {
        while (!unstable.isEmpty() && unstable.peekFirst().position.ordinal() <= stableThrough
                && unstable.peekFirst().position.viewId() == view.id()) {
            store(unstable.pollFirst());
        }
    }

    private void store(Entry e) {
        storing.addLast(e);
        toIssue.addLast(e);
        e.durable.whenComplete((ok, error) -> service.runOnSequencer(this::drainDurable));
        issueAppends();
    }

    /**
     * Hands queued entries to the store strictly in order. A stable message must be stored: the
     * store's queue being full is back-pressure, not a refusal, so the head waits and is offered
     * again a millisecond later, and nothing behind it overtakes it (the store is gapless per topic).
     * Any other failure completes the entry's future exceptionally, which stops the node.
     */
    private void issueAppends() {
        while (!toIssue.isEmpty()) {
            Entry e = toIssue.peekFirst();
            if (e.record == null) {
                toIssue.pollFirst();
                e.durable.complete(null);
                continue;
            }
            CompletableFuture<Void> f;
            try {
                // A skip is ordered with the append after it, and a no-op if issued again after a refusal.
                CompletableFuture<Void> skip = e.skipTo > 0 ? store.skipTo(e.topic.name, e.skipTo) : null;
                f = store.append(new AppendRequest(e.topic.name, e.record, e.key, e.key == null ? null : e.ack, e.wanMark));
                if (skip != null && !(f.isCompletedExceptionally() && refusedForLoad(f))) {
                    f = CompletableFuture.allOf(skip, f);
                }
            } catch (RuntimeException ex) {
                f = CompletableFuture.failedFuture(ex);
            }
            if (f.isCompletedExceptionally() && refusedForLoad(f)) {
                if (!issueRetryScheduled) {
                    issueRetryScheduled = true;
                    timer.schedule(() -> service.runOnSequencer(() -> {
                        issueRetryScheduled = false;
                        issueAppends();
                    }), 1, TimeUnit.MILLISECONDS);
                }
                return;
            }
            toIssue.pollFirst();
            f.whenComplete((ok, error) -> {
                if (error != null) {
                    e.durable.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error);
                } else {
                    e.durable.complete(null);
                }
            });
        }
    }

    private static boolean refusedForLoad(CompletableFuture<Void> f) {
        try {
            f.getNow(null);
            return false;
        } catch (CompletionException e) {
            return e.getCause() instanceof HistoryStoreOverloadedException;
        } catch (java.util.concurrent.CancellationException e) {
            return false;
        }
    }

    private void drainDurable() {
        boolean advanced = false;
        while (!storing.isEmpty() && storing.peekFirst().durable.isDone()) {
            Entry e = storing.pollFirst();
            if (e.durable.isCompletedExceptionally()) {
                storageFailed(e);
                return;
            }
            if (e.key != null && e.topic.replicatedKeys != null && e.record != null) {
                e.topic.replicatedKeys.remove(e.key); // the store answers for it from now on
            }
            durable = e.position;
            advanced = true;
            if (e.record != null) {
                awaitingCommit.addLast(e);
            }
        }
        if (advanced) {
            marks.put(link.self(), durable);
            scheduleMark();
            checkCommit();
        }
    }

    private void storageFailed(Entry e) {
        Throwable error;
        try {
            e.durable.join();
            error = null;
        } catch (CompletionException ce) {
            error = ce.getCause();
        }
        log.error("a stable message could not be stored on {}; this node leaves its LAN", e.topic.name, error);
        storageFailure = "storage failed: " + (error == null ? "unknown" : error.getMessage());
        serving = false;
        closed = true;
        publishState();
        failAllPending("storage failed on this node; retry the post on another node with the same Idempotency-Key");
        service.endAllSubscriptions("storage failed on this node");
        link.close(); // the others see a crash: nothing of ours counts any more
    }

    private void scheduleMark() {
        if (markScheduled) {
            return;
        }
        markScheduled = true;
        // One mark for everything stored by the time the sequencer gets to it: a burst of durable
        // appends (one group commit) costs one multicast.
        service.runOnSequencer(() -> {
            markScheduled = false;
            if (serving && durable.compareTo(markSent) > 0) {
                try {
                    link.multicast(Kind.CBCAST, ReplicationMessage.encode(new Mark(durable.viewId(), durable.ordinal())));
                    markSent = durable;
                } catch (IllegalStateException full) {
                    timer.schedule(() -> service.runOnSequencer(this::scheduleMark), 1, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    private void onMark(ProcessId from, Mark mark) {
        Position p = new Position(mark.viewId(), mark.ordinal());
        marks.merge(from, p, (a, b) -> a.atLeast(b) ? a : b);
        checkCommit();
    }

    /** Majority needed for a commit: of the LAN as configured, or of the view if it grew beyond. */
    private int quorum() {
        int n = Math.max(link.lanSize(), view.size());
        return n / 2 + 1;
    }

    private void checkCommit() {
        View v = view;
        if (v == null || !serving) {
            return;
        }
        List<Position> known = new ArrayList<>(v.size());
        for (ProcessId m : v.members()) {
            known.add(marks.getOrDefault(m, Position.ZERO));
        }
        known.sort(java.util.Comparator.reverseOrder());
        int q = quorum();
        if (known.size() < q) {
            return; // fewer members than a majority of the LAN: nothing commits
        }
        Position c = known.get(q - 1);
        if (c.compareTo(committed) > 0) {
            committed = c;
        }
        if (cutCommitPending && committed.atLeast(new Position(v.id(), 0))) {
            // A majority now holds everything before this view: what this node caught up is committed.
            cutCommitPending = false;
            for (LocalTopicService.TopicState st : service.topicStates().values()) {
                service.setVisible(st);
            }
            publishState();
        }
        // Not only when the commit point moved: an entry may become durable here after the others'
        // marks already carried the commit point past it.
        while (!awaitingCommit.isEmpty() && committed.atLeast(awaitingCommit.peekFirst().position)) {
            Entry e = awaitingCommit.pollFirst();
            if (e.skipTo > 0) {
                service.skipDelivered(e.topic, e.skipTo - 1);
            }
            service.deliver(e.topic, e.record.seq(), e.record.body(), e.receivedNanos);
        }
        while (!awaitingAck.isEmpty() && committed.atLeast(awaitingAck.firstKey())) {
            for (Origin o : awaitingAck.pollFirstEntry().getValue()) {
                metrics.acknowledged(System.nanoTime() - o.receivedNanos);
                o.result.complete(new PostResult(o.ack, o.duplicate));
            }
        }
    }

    // ---------------------------------------------------------------- views

    private void onInstall(View next) {
        View previous = view;
        boolean joinerHere = previous == null;
        if (serving && previous != null) {
            // The flush settled everything delivered in the old view at every survivor: store it all.
            while (!unstable.isEmpty()) {
                store(unstable.pollFirst());
            }
            // Once those are stored this member holds everything before the new view: its mark says
            // (next, 0), which is what lets a joiner's cut (the state at this install) commit.
            store(new Entry(new Position(next.id(), 0), null, null, null, null, 0));
        }
        unstable.clear();
        forgetJoinRound();
        view = next;
        ordinal = 0;
        stableThrough = 0;
        marks.keySet().retainAll(next.members());
        log.info("view {} installed: {} (coordinator {}){}", next.id(), names(next), link.nodeName(next.coordinator()),
                joinerHere ? ", joined" : "");
        metrics.view(next);
        publishState();
        Status status = new Status(next.id(), era, clusterState.promised(), serving, topicTable(),
                serving ? List.copyOf(service.wanGate().snapshot()) : List.copyOf(store.wanMarks().values()));
        statusBytes = ReplicationMessage.encode(status);
        ownStatusSeen = false;
        statusSentNanos = System.nanoTime();
        multicastQuietly(Kind.ABCAST, statusBytes); // resent by resendIfUnseen if refused
    }

    /** Drops the current view's join round: statuses, the cut and its promises, held-back posts. */
    private void forgetJoinRound() {
        heldBack.clear();
        statuses.clear();
        cut = null;
        caughtUp = null;
        promises.clear();
        promiseBytes = null;
    }

    /**
     * What this member holds at the install. A serving member's sequenced state; any other reports its
     * store as it is now (a superseded catch-up may have changed it since its topic states were set),
     * and reporting less than it holds is safe, more would not be.
     */
    private List<TopicEntry> topicTable() {
        List<TopicEntry> table = new ArrayList<>(service.topicStates().size());
        if (serving) {
            for (LocalTopicService.TopicState st : service.topicStates().values()) {
                if (st.lastSeq > 0) {
                    table.add(new TopicEntry(st.name, st.lastSeq, st.lastId));
                }
            }
            return table;
        }
        for (TopicInfo info : store.topics("")) { // "" and not "/": WAN spools are replicated too
            if (info.lastSeq() > 0) {
                table.add(new TopicEntry(info.topic(), info.lastSeq(), lastIdInStore(info.topic(), info.lastSeq())));
            }
        }
        return table;
    }

    private void onStatus(ProcessId from, Status status) {
        if (status.viewId() != view.id()) {
            return;
        }
        statuses.put(from, status);
        if (from.equals(link.self())) {
            ownStatusSeen = true;
        }
        if (!serving && cut == null) {
            tryDecideCut();
        }
    }

    /**
     * Decides what this member must hold before it serves. A serving coordinator's status is the
     * group's state at the install. With no one serving (the LAN restarted), a majority of the LAN
     * must report, and for each topic the longest history among the newest era wins.
     */
    private void tryDecideCut() {
        View v = view;
        Status coordinator = statuses.get(v.coordinator());
        if (coordinator == null) {
            return;
        }
        Map<String, CatchUp.Target> targets = new TreeMap<>();
        long cutEra;
        boolean recovery = false;
        if (coordinator.serving()) {
            for (TopicEntry e : coordinator.topics()) {
                targets.put(e.topic(), new CatchUp.Target(e.topic(), e.lastSeq(), e.lastId(), link.httpAddress(v.coordinator())));
            }
            cutEra = coordinator.era();
            cutWanMarks = coordinator.wanMarks();
        } else {
            if (statuses.size() < v.size()) {
                return;
            }
            if (v.size() < link.lanSize() / 2 + 1) {
                return; // a majority must report: one of them holds every committed message
            }
            ProcessId servingMember = null;
            long maxEra = 0;
            long maxPromised = 0;
            for (ProcessId m : v.members()) {
                Status s = statuses.get(m);
                if (s.serving() && servingMember == null) {
                    servingMember = m;
                }
                maxEra = Math.max(maxEra, s.era());
                maxPromised = Math.max(maxPromised, Math.max(s.era(), s.promisedEra()));
            }
            if (servingMember != null) {
                Status s = statuses.get(servingMember);
                for (TopicEntry e : s.topics()) {
                    targets.put(e.topic(), new CatchUp.Target(e.topic(), e.lastSeq(), e.lastId(), link.httpAddress(servingMember)));
                }
                cutEra = s.era();
                cutWanMarks = s.wanMarks();
            } else {
                for (ProcessId m : v.members()) { // age order: ties go to the oldest
                    Status s = statuses.get(m);
                    if (s.era() != maxEra) {
                        continue;
                    }
                    for (TopicEntry e : s.topics()) {
                        CatchUp.Target best = targets.get(e.topic());
                        if (best == null || e.lastSeq() > best.lastSeq()) {
                            targets.put(e.topic(), new CatchUp.Target(e.topic(), e.lastSeq(), e.lastId(), link.httpAddress(m)));
                        }
                    }
                }
                // WAN marks: per origin the highest among the newest era's members. A mark is written
                // with the record that set it, and within an era histories are prefixes of the
                // longest, so the highest mark belongs to a record the cut keeps.
                Map<String, io.backplane.history.WanMark> best = new TreeMap<>();
                for (ProcessId m : v.members()) {
                    Status s = statuses.get(m);
                    if (s.era() == maxEra) {
                        for (io.backplane.history.WanMark wm : s.wanMarks()) {
                            best.merge(wm.originLan(), wm, (a, b) -> a.spoolSeq() >= b.spoolSeq() ? a : b);
                        }
                    }
                }
                cutWanMarks = List.copyOf(best.values());
                // Above every era any member ever promised: a recovery that never finished on some of
                // its members still used its number up, so two recoveries never share one.
                cutEra = maxPromised + 1;
                recovery = true;
                log.info("LAN recovery at view {}: no member served; era {} from the longest histories of era {}",
                        v.id(), cutEra, maxEra);
            }
        }
        CatchUp.Cut decided = new CatchUp.Cut(v.id(), cutEra, recovery, new ArrayList<>(targets.values()));
        if (recovery) {
            clusterState.promise(cutEra); // durable before anyone may count on it
            promiseBytes = ReplicationMessage.encode(new Promise(v.id(), cutEra));
            ownPromiseSeen = false;
            promiseSentNanos = System.nanoTime();
            multicastQuietly(Kind.ABCAST, promiseBytes);
        }
        cut = decided;
        List<String> localTopics = new ArrayList<>(service.topicStates().keySet());
        metrics.catchUpStarted();
        catchUpThread.execute(() -> {
            CatchUp.Result result;
            try {
                result = new CatchUp(store, metrics::caughtUp, () -> cut != decided).run(decided, localTopics);
            } catch (RuntimeException e) {
                log.warn("catch-up to view {} failed: {}; retrying", decided.viewId(), e.getMessage());
                result = null;
            }
            CatchUp.Result r = result;
            service.runOnSequencer(() -> finishCatchUp(decided, r));
        });
    }

    private void finishCatchUp(CatchUp.Cut done, CatchUp.Result result) {
        if (closed || cut != done || view.id() != done.viewId()) {
            return; // a newer view started a new round
        }
        if (result == null) {
            cut = null;
            timer.schedule(() -> service.runOnSequencer(() -> {
                if (!serving && cut == null && view != null && view.id() == done.viewId()) {
                    tryDecideCut();
                }
            }), 200, TimeUnit.MILLISECONDS);
            return;
        }
        caughtUp = result;
        applyCutWhenPromised();
    }

    private void onPromise(ProcessId from, Promise promise) {
        if (view == null || promise.viewId() != view.id()) {
            return;
        }
        if (from.equals(link.self())) {
            ownPromiseSeen = true;
        }
        if (cut != null && cut.recovery() && promise.era() == cut.era()) {
            promises.add(from);
            applyCutWhenPromised();
        }
    }

    /**
     * Serves from the cut once it is caught up and, after a recovery, once a majority of the LAN
     * promised its era (so a later recovery sees the era taken even if this one dies half-way).
     */
    private void applyCutWhenPromised() {
        CatchUp.Cut done = cut;
        CatchUp.Result result = caughtUp;
        if (done == null || result == null || serving) {
            return;
        }
        if (done.recovery() && promises.size() < link.lanSize() / 2 + 1) {
            return;
        }
        caughtUp = null;
        for (CatchUp.Held h : result.topics()) {
            LocalTopicService.TopicState st = service.topicState(h.topic());
            st.lastSeq = h.lastSeq();
            st.deliveredSeq = h.lastSeq();
            st.lastId = h.lastId();
            // the cut's own timestamp, not a max with what this node held: every replica alike
            st.lastTimestampMillis = h.lastTimestampMillis();
            st.replicatedKeys = null;
        }
        // The receiving side of the WAN: this replica's marks become the cut's, written before it serves
        // (origins it knew but the cut does not are reset, like the records the catch-up truncated).
        Map<String, io.backplane.history.WanMark> wanMarks = new TreeMap<>();
        for (io.backplane.history.WanMark m : store.wanMarks().values()) {
            wanMarks.put(m.originLan(), new io.backplane.history.WanMark(m.originLan(), 0, 0));
        }
        for (io.backplane.history.WanMark m : cutWanMarks) {
            wanMarks.put(m.originLan(), m);
        }
        store.putWanMarks(wanMarks.values());
        service.wanGate().set(cutWanMarks);
        cutCommitPending = true; // visible to readers and subscribers once a majority holds it
        era = done.era();
        clusterState.setEra(era); // durable before we count towards any majority
        serving = true;
        durable = new Position(view.id(), 0);
        markSent = Position.ZERO;
        committed = Position.ZERO;
        marks.put(link.self(), durable);
        scheduleMark();
        log.info("caught up with view {} (era {}): {} topics; serving", done.viewId(), era, result.topics().size());
        metrics.catchUpFinished();
        publishState();
        checkCommit();
        List<Object[]> held = new ArrayList<>(heldBack);
        heldBack.clear();
        for (Object[] h : held) {
            sequenceAny((Position) h[0], (ReplicationMessage) h[1]);
        }
    }

    private void onAvailability(boolean nowAvailable, String reason) {
        available = nowAvailable;
        if (!nowAvailable) {
            log.warn("not in a primary view: {}", reason);
        }
        publishState();
    }

    /** Why this node does not take posts or serve subscribers now, or null when it does. */
    private String unavailableReason() {
        if (storageFailure != null) {
            return storageFailure;
        }
        if (closed) {
            return "node is shutting down";
        }
        if (!available) {
            return "this node is cut off from the majority of its LAN";
        }
        if (view == null) {
            return "joining the LAN";
        }
        if (!serving || cutCommitPending) {
            return "this node is catching up with its LAN";
        }
        if (view.size() < quorum()) {
            return "only " + view.size() + " of the LAN's " + link.lanSize() + " nodes are up; a majority is needed";
        }
        return null;
    }

    /**
     * Publishes whether this node serves (for 503s and /health); a node that stops serving ends its
     * subscriptions, so their clients resume on a node that does.
     */
    private void publishState() {
        String reason = unavailableReason();
        service.setUnavailable(reason);
        if (open && reason != null) {
            service.endAllSubscriptions(reason + "; resume on another node");
        }
        open = reason == null;
    }

    /**
     * This incarnation is out of the group (excluded after a pause or a partition, or its engine
     * stopped). Everything it held in memory is dropped; it rejoins as a new incarnation, which
     * catches up like any joiner.
     */
    private void onExcluded(Effect why) {
        if (closed) {
            return;
        }
        log.warn("this node's incarnation {} left the LAN group ({}); rejoining as a new incarnation",
                link.self().incarnation(), why.getClass().getSimpleName());
        metrics.rejoined();
        serving = false;
        view = null;
        // The old incarnation's engine may have said it was cut off; the new one starts able to make
        // progress and reports only changes, so its "available" must not inherit the old "no".
        available = true;
        publishState();
        failAllPending("this node lost its place in the LAN; retry the post with the same Idempotency-Key");
        GroupLink old = link;
        old.close();
        // Appends already handed to the store are stable messages of the old group: let them land,
        // then restart from what the store holds.
        for (Entry e : new ArrayList<>(storing)) {
            try {
                e.durable.get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the new incarnation's catch-up repairs whatever is missing
            }
        }
        storing.clear();
        toIssue.clear();
        unstable.clear();
        service.wanGate().reload(store); // what the store holds, like the topic states below
        awaitingCommit.clear();
        forgetJoinRound();
        marks.clear();
        cutCommitPending = false;
        statusBytes = null;
        view = null;
        durable = Position.ZERO;
        markSent = Position.ZERO;
        committed = Position.ZERO;
        for (LocalTopicService.TopicState st : service.topicStates().values()) {
            long stored = store.topic(st.name).map(TopicInfo::lastSeq).orElse(0L);
            st.lastSeq = stored;
            st.deliveredSeq = Math.min(st.deliveredSeq, stored);
            st.lastId = lastIdInStore(st.name, stored);
            st.lastTimestampMillis = lastTimestampInStore(st.name, stored);
            st.replicatedKeys = null;
        }
        link = links.create();
        GroupLink current = link;
        try {
            current.start(effect -> service.runOnSequencer(() -> onEffect(current, effect)));
        } catch (java.io.IOException e) {
            log.error("cannot rejoin the LAN: {}", e.getMessage());
            storageFailure = "cannot rejoin the LAN: " + e.getMessage();
            publishState();
        }
    }

    private void failAllPending(String message) {
        for (Origin o : proposed.values()) {
            o.result.completeExceptionally(new ServiceUnavailableException(message));
        }
        proposed.clear();
        for (List<Origin> list : awaitingAck.values()) {
            for (Origin o : list) {
                o.result.completeExceptionally(new ServiceUnavailableException(message));
            }
        }
        awaitingAck.clear();
    }

    private long lastTimestampInStore(String topic, long lastSeq) {
        if (lastSeq <= 0) {
            return 0;
        }
        List<HistoryRecord> last = store.readFrom(topic, lastSeq, 1);
        return last.isEmpty() ? 0 : last.get(0).timestampMillis();
    }

    private String lastIdInStore(String topic, long lastSeq) {
        if (lastSeq <= 0) {
            return "";
        }
        List<HistoryRecord> last = store.readFrom(topic, lastSeq, 1);
        return last.isEmpty() ? "" : CatchUp.idOf(last.get(0).body());
    }

    private String names(View v) {
        List<String> out = new ArrayList<>(v.size());
        for (ProcessId m : v.members()) {
            out.add(link.nodeName(m));
        }
        return out.toString();
    }

    /**
     * Leaves the LAN group (a clean shutdown: the others install a view without us at once instead
     * of waiting for failure detection), then stops. Called from the stopping thread.
     */
    public void close() {
        closed = true; // before leaving: the Left that follows must not look like an exclusion
        service.runOnSequencer(() -> {
            serving = false;
            failAllPending("node is shutting down; retry the post on another node with the same Idempotency-Key");
        });
        service.setUnavailable("node is shutting down");
        GroupLink l = link;
        if (l != null) {
            l.leaveAndWait(2000);
            l.close();
        }
        timer.shutdownNow();
        catchUpThread.shutdownNow();
    }
}
