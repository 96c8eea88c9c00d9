package io.backplane.node.topic;

import io.backplane.history.AppendRequest;
import io.backplane.history.HistoryChunk;
import io.backplane.history.HistoryRecord;
import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreOverloadedException;
import io.backplane.history.TopicInfo;
import io.backplane.node.cluster.ReplicationMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-node topic service: sequences every topic itself, stores through the history store's
 * group commit, and hands messages to subscribers once they are durable.
 *
 * <p><b>Threading.</b> All state lives on one thread, the sequencer ({@code backplane-topics}): seq
 * assignment, idempotency, subscription registry, replay switch-over and fan-out. That one event
 * order is what makes the seam exact (a subscription is registered at a known delivered seq) and
 * keeps each connection's frames causally ordered. RocksDB appends run on the store's writer thread;
 * replay reads on a small reader pool; both hand their results back to the sequencer.
 *
 * <p><b>Visibility.</b> A message is delivered to subscribers only after it is durable, so no
 * subscriber ever sees a message that a crash could take back.
 */
public final class LocalTopicService implements TopicService {
    private static final Logger log = LoggerFactory.getLogger(LocalTopicService.class);

    private final HistoryStore store;
    private final TopicServiceConfig config;
    private final LongSupplier clockMillis;
    private final TopicMetrics metrics;
    private final ExecutorService sequencer;
    private final ExecutorService readers;
    private final AtomicInteger inflightPosts = new AtomicInteger();
    private final AtomicInteger subscriptionCount = new AtomicInteger();
    private volatile String unavailableReason;
    private boolean storageFailed; // sequencer thread only

    // Sequencer-thread state only.
    private final Map<String, TopicState> topics = new HashMap<>();
    private final Map<SubscriberSink, Map<String, ClientSubscription>> connections = new IdentityHashMap<>();
    private final List<ClientSubscription> patternSubscriptions = new ArrayList<>();
    private final String idPrefix;
    private long idCounter;
    /** Duplicate suppression of posts spooled to this LAN by others (sequencer thread decides). */
    private final WanGate wanGate = new WanGate();
    /** Per origin LAN, the durability of the newest applied spooled post (single node: a duplicate waits for it). */
    private final Map<String, CompletableFuture<Void>> remoteDurable = new HashMap<>();
    /** Sequences through the LAN group when clustered; null on a single node. Set before serving. */
    private volatile Replicator replicator;

    public LocalTopicService(HistoryStore store, TopicServiceConfig config, LongSupplier clockMillis, TopicMetrics metrics) {
        this.store = store;
        this.config = config;
        this.clockMillis = clockMillis;
        this.metrics = metrics;
        this.idPrefix = config.lan() + ":" + config.nodeId() + ":" + Long.toHexString(config.incarnation()) + "-";
        this.sequencer = Executors.newSingleThreadExecutor(r -> daemon(r, "backplane-topics"));
        AtomicInteger readerCount = new AtomicInteger();
        this.readers = Executors.newFixedThreadPool(2, r -> daemon(r, "backplane-replay-" + readerCount.incrementAndGet()));
        // "" and not "/": internal topics (WAN spools, "~wan/LAN") are sequenced here too.
        for (TopicInfo info : store.topics("")) {
            TopicState state = new TopicState(info.topic(), info.lastSeq());
            topics.put(info.topic(), state);
        }
        wanGate.reload(store);
        log.info("topic service started with {} topics, message ids {}N", topics.size(), idPrefix);
    }

    /**
     * Makes this a clustered service: posts are sequenced by the LAN group's total order instead of
     * here. Called once, before the node serves.
     */
    void attachReplicator(Replicator replicator) {
        this.replicator = replicator;
    }

    HistoryStore store() {
        return store;
    }

    TopicServiceConfig config() {
        return config;
    }

    TopicMetrics metrics() {
        return metrics;
    }

    /** The next message id this node hands out (sequencer thread only). */
    String nextMessageId() {
        return idPrefix + (++idCounter);
    }

    /** Every topic known here (sequencer thread only). */
    Map<String, TopicState> topicStates() {
        return topics;
    }

    /** Cluster only: why posts and subscriptions are refused, or null once this node serves again. */
    void setUnavailable(String reason) {
        if (internalFailure == null) {
            unavailableReason = reason; // an internal failure stays: state after it cannot be trusted
        }
    }

    /** Set when a task on the sequencer thread failed; the node then never serves again until restarted. */
    private volatile String internalFailure;

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ---------------------------------------------------------------- posts

    @Override
    public CompletableFuture<PostResult> post(String topic, Payload payload, String idempotencyKey) {
        String reason = unavailableReason;
        if (reason != null) {
            return CompletableFuture.failedFuture(new ServiceUnavailableException(reason));
        }
        if (inflightPosts.incrementAndGet() > config.maxInflightPosts()) {
            inflightPosts.decrementAndGet();
            return CompletableFuture.failedFuture(new TooManyRequestsException(
                    "more than " + config.maxInflightPosts() + " posts are waiting to be stored; retry shortly"));
        }
        long receivedNanos = System.nanoTime();
        CompletableFuture<PostResult> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> inflightPosts.decrementAndGet());
        Replicator r = replicator;
        Runnable task = r == null
                ? () -> sequence(topic, payload, idempotencyKey, receivedNanos, result)
                : () -> r.propose(topic, payload, idempotencyKey, receivedNanos, result);
        if (!runOnSequencer(task)) {
            result.completeExceptionally(new ServiceUnavailableException("node is shutting down"));
        }
        return result;
    }

    public WanGate wanGate() {
        return wanGate;
    }

    /**
     * Applies a post spooled to this LAN by {@code origin} exactly once (see {@link WanGate}): completes
     * with APPLIED or DUPLICATE once durable (clustered: committed), or exceptionally when fenced, out
     * of order or not serving. The message keeps the id it got on its origin LAN.
     */
    public CompletableFuture<io.backplane.wan.WanApplier.Outcome> applyRemote(String origin, long epoch,
                                                                             io.backplane.wan.WanFrame.Data data) {
        String reason = unavailableReason;
        if (reason != null) {
            return CompletableFuture.failedFuture(new ServiceUnavailableException(reason));
        }
        if (inflightPosts.incrementAndGet() > config.maxInflightPosts()) {
            inflightPosts.decrementAndGet();
            return CompletableFuture.failedFuture(new TooManyRequestsException("too many posts waiting to be stored"));
        }
        long receivedNanos = System.nanoTime();
        CompletableFuture<PostResult> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> inflightPosts.decrementAndGet());
        Replicator r = replicator;
        Runnable task = r == null
                ? () -> sequenceRemote(origin, epoch, data, receivedNanos, result)
                : () -> r.proposeRemote(origin, epoch, data, receivedNanos, result);
        if (!runOnSequencer(task)) {
            result.completeExceptionally(new ServiceUnavailableException("node is shutting down"));
        }
        return result.thenApply(pr -> pr.duplicate() ? io.backplane.wan.WanApplier.Outcome.DUPLICATE
                : io.backplane.wan.WanApplier.Outcome.APPLIED);
    }

    /**
     * Applies a message of a topic this LAN mirrors from another LAN (a remote subscription): at its
     * place in this LAN's order the {@link MirrorGate} decides, alike on every member. Completes once
     * durable (clustered: committed) with {@code duplicate} set when the mirror already had it, or
     * exceptionally when out of order or not serving (the link then starts the stream over).
     */
    public CompletableFuture<PostResult> applyMirror(ReplicationMessage.Mirror mirror) {
        String reason = unavailableReason;
        if (reason != null) {
            return CompletableFuture.failedFuture(new ServiceUnavailableException(reason));
        }
        long receivedNanos = System.nanoTime();
        CompletableFuture<PostResult> result = new CompletableFuture<>();
        Replicator r = replicator;
        Runnable task = r == null
                ? () -> sequenceMirror(mirror, receivedNanos, result)
                : () -> r.proposeMirror(mirror, receivedNanos, result);
        if (!runOnSequencer(task)) {
            result.completeExceptionally(new ServiceUnavailableException("node is shutting down"));
        }
        return result;
    }

    /** What a mirror refusal completes with. */
    static RuntimeException mirrorOutOfOrder(ReplicationMessage.Mirror m, long lastSeq) {
        return new io.backplane.wan.WanApplier.OutOfOrderException("seq " + m.seq() + " of " + MirrorNames.display(m.topic())
                + " does not follow the mirror's last seq " + lastSeq);
    }

    private void sequenceMirror(ReplicationMessage.Mirror m, long receivedNanos, CompletableFuture<PostResult> result) {
        String reason = unavailableReason;
        if (reason != null) {
            result.completeExceptionally(new ServiceUnavailableException(reason));
            return;
        }
        TopicState state = topicState(m.topic());
        MirrorGate.Decision decision = MirrorGate.decide(state.lastSeq, m.seq(), m.requestedFrom());
        if (decision == MirrorGate.Decision.DUPLICATE) {
            metrics.mirrorDuplicate();
            result.complete(new PostResult(new byte[0], true));
            return;
        }
        if (decision == MirrorGate.Decision.OUT_OF_ORDER) {
            result.completeExceptionally(mirrorOutOfOrder(m, state.lastSeq));
            return;
        }
        long previous = state.lastSeq;
        boolean skip = decision == MirrorGate.Decision.SKIP_THEN_APPLY;
        long seq = m.seq();
        state.lastSeq = seq;
        state.lastTimestampMillis = Math.max(state.lastTimestampMillis, m.timestampMillis());
        HistoryRecord record = new HistoryRecord(seq, m.timestampMillis(), m.envelope());
        CompletableFuture<Void> durable;
        CompletableFuture<Void> skipped = null;
        try {
            if (skip) {
                skipped = store.skipTo(m.topic(), seq); // ordered with the append that follows
            }
            durable = store.append(new AppendRequest(m.topic(), record, null, null));
        } catch (RuntimeException e) {
            durable = CompletableFuture.failedFuture(e);
        }
        if (durable.isCompletedExceptionally() && refusedForLoad(durable)) {
            // Take the seq back (a skip already queued stays: it is a no-op when applied again).
            state.lastSeq = previous;
            result.completeExceptionally(new TooManyRequestsException("the history store's write queue is full"));
            return;
        }
        if (skipped != null) {
            durable = CompletableFuture.allOf(skipped, durable);
        }
        durable.whenComplete((ignored, error) -> runOnSequencerOrFail(() -> {
            if (skip && error == null) {
                skipDelivered(state, seq - 1);
            }
            onDurable(state, seq, m.envelope(), new byte[0], null, receivedNanos, result, error);
        }, result));
    }

    /**
     * A mirror moved over a gap its remote LAN no longer holds (retention there): the delivered seq jumps
     * to {@code throughSeq}. Live subscribers that got nothing yet simply start after it, as a replay
     * from a trimmed start would; one that already got messages would see a gap, so it ends with
     * {@code not-found} and resubscribes, as when retention trims under a replay.
     */
    void skipDelivered(TopicState state, long throughSeq) {
        if (throughSeq <= state.deliveredSeq) {
            return;
        }
        long from = state.deliveredSeq + 1;
        state.deliveredSeq = throughSeq;
        if (replicator != null) {
            visible.put(state.name, throughSeq);
        }
        metrics.mirrorSkipped(throughSeq - from + 1);
        log.warn("mirror {} skips seqs {}..{}: its LAN no longer holds them", MirrorNames.display(state.name), from, throughSeq);
        for (TopicSubscription sub : new ArrayList<>(state.subscriptions)) {
            if (!sub.live || sub.cancelled || sub.nextSeq > throughSeq) {
                continue;
            }
            if (!sub.sentAny) {
                sub.nextSeq = throughSeq + 1;
            } else {
                endSubscription(sub.owner, Frames.error(sub.owner.id, "not-found", "seqs " + from + ".." + throughSeq
                        + " of " + MirrorNames.display(state.name) + " are no longer held by its LAN; resubscribe with fromSeq "
                        + (throughSeq + 1)));
            }
        }
    }

    /** Turns a gate refusal into the exception the WAN receiver expects (null for APPLY / DUPLICATE). */
    static RuntimeException refusal(WanGate.Decision d, String origin, long epoch, long spoolSeq, WanGate gate) {
        return switch (d) {
            case STALE_EPOCH -> new io.backplane.wan.WanApplier.FencedException("epoch " + epoch + " of LAN " + origin
                    + " is fenced by epoch " + gate.epoch(origin));
            case OUT_OF_ORDER -> new io.backplane.wan.WanApplier.OutOfOrderException("spool seq " + spoolSeq + " of LAN "
                    + origin + " is not next after " + gate.appliedHint(origin));
            default -> null;
        };
    }

    private void sequenceRemote(String origin, long epoch, io.backplane.wan.WanFrame.Data data, long receivedNanos,
                                CompletableFuture<PostResult> result) {
        String reason = unavailableReason;
        if (reason != null) {
            result.completeExceptionally(new ServiceUnavailableException(reason));
            return;
        }
        io.backplane.history.WanMark before = wanGate.markFor(origin);
        WanGate.Decision decision = wanGate.decide(origin, epoch, data.spoolSeq());
        if (decision == WanGate.Decision.DUPLICATE) {
            // Acknowledged only once what it duplicates is durable: an ack lets the origin trim.
            CompletableFuture<Void> pending = remoteDurable.getOrDefault(origin, CompletableFuture.completedFuture(null));
            pending.whenComplete((ok, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(new PostResult(new byte[0], true));
                }
            });
            return;
        }
        RuntimeException refused = refusal(decision, origin, epoch, data.spoolSeq(), wanGate);
        if (refused != null) {
            result.completeExceptionally(refused);
            return;
        }
        TopicState state = topicState(data.topic());
        long seq = ++state.lastSeq;
        long timestampMillis = Math.max(clockMillis.getAsLong(), state.lastTimestampMillis);
        state.lastTimestampMillis = timestampMillis;
        Payload payload = Payload.fromEncoded(data.contentTypeJson(), data.envelopeTail());
        byte[] envelope = Envelopes.full(data.topic(), config.lan(), seq, data.id(), timestampMillis, payload);
        byte[] ack = Envelopes.ack(data.topic(), config.lan(), seq, data.id(), timestampMillis, payload);
        HistoryRecord record = new HistoryRecord(seq, timestampMillis, envelope);
        CompletableFuture<Void> durable;
        try {
            durable = store.append(new AppendRequest(data.topic(), record, null, null, wanGate.markFor(origin)));
        } catch (RuntimeException e) {
            durable = CompletableFuture.failedFuture(e);
        }
        if (durable.isCompletedExceptionally() && refusedForLoad(durable)) {
            // Take the seq and the mark back: the sender resends it.
            state.lastSeq--;
            wanGate.restore(origin, before);
            result.completeExceptionally(new TooManyRequestsException("the history store's write queue is full"));
            return;
        }
        remoteDurable.put(origin, durable);
        durable.whenComplete((ignored, error) -> runOnSequencerOrFail(
                () -> onDurable(state, seq, envelope, ack, null, receivedNanos, result, error), result));
    }

    private void sequence(String topic, Payload payload, String idempotencyKey, long receivedNanos,
                          CompletableFuture<PostResult> result) {
        String reason = unavailableReason;
        if (reason != null) {
            result.completeExceptionally(new ServiceUnavailableException(reason));
            return;
        }
        TopicState state = topicState(topic);
        if (idempotencyKey != null && answeredBefore(state, idempotencyKey, result)) {
            return;
        }
        long seq = ++state.lastSeq;
        long timestampMillis = Math.max(clockMillis.getAsLong(), state.lastTimestampMillis);
        state.lastTimestampMillis = timestampMillis;
        String id = idPrefix + (++idCounter);
        byte[] envelope = Envelopes.full(topic, config.lan(), seq, id, timestampMillis, payload);
        byte[] ack = Envelopes.ack(topic, config.lan(), seq, id, timestampMillis, payload);
        HistoryRecord record = new HistoryRecord(seq, timestampMillis, envelope);
        AppendRequest append = new AppendRequest(topic, record, idempotencyKey, idempotencyKey == null ? null : ack);
        if (idempotencyKey != null) {
            state.pendingKeys.put(idempotencyKey, result);
        }
        CompletableFuture<Void> durable;
        try {
            durable = store.append(append);
        } catch (RuntimeException e) {
            durable = CompletableFuture.failedFuture(e); // CompletionException wraps it in getNow()
        }
        if (durable.isCompletedExceptionally() && refusedForLoad(durable)) {
            // Refused before it was queued: nothing of this seq reached the store, so take it back.
            state.lastSeq--;
            if (idempotencyKey != null) {
                state.pendingKeys.remove(idempotencyKey);
            }
            result.completeExceptionally(new TooManyRequestsException("the history store's write queue is full; retry shortly"));
            return;
        }
        durable.whenComplete((ignored, error) -> runOnSequencerOrFail(
                () -> onDurable(state, seq, envelope, ack, idempotencyKey, receivedNanos, result, error), result));
    }

    private static boolean refusedForLoad(CompletableFuture<Void> durable) {
        try {
            durable.getNow(null);
            return false;
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause() instanceof HistoryStoreOverloadedException;
        } catch (java.util.concurrent.CancellationException e) {
            return false;
        }
    }

    /** True when the key was seen: the result is then completed with the first post's answer. */
    private boolean answeredBefore(TopicState state, String idempotencyKey, CompletableFuture<PostResult> result) {
        CompletableFuture<PostResult> pending = state.pendingKeys.get(idempotencyKey);
        if (pending != null) {
            pending.whenComplete((first, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    metrics.duplicatePost();
                    result.complete(new PostResult(first.ackJson(), true));
                }
            });
            return true;
        }
        Optional<byte[]> stored = store.idempotencyEntry(state.name, idempotencyKey);
        if (stored.isPresent()) {
            metrics.duplicatePost();
            result.complete(new PostResult(stored.get(), true));
            return true;
        }
        return false;
    }

    private void onDurable(TopicState state, long seq, byte[] envelope, byte[] ack, String idempotencyKey,
                           long receivedNanos, CompletableFuture<PostResult> result, Throwable error) {
        if (idempotencyKey != null) {
            state.pendingKeys.remove(idempotencyKey);
        }
        if (error != null) {
            // The seq was handed out; a hole now would break gapless order, so stop taking posts
            // (fail-stop) rather than continue with a history that no longer matches its numbering.
            state.failedFromSeq = Math.min(state.failedFromSeq, seq);
            if (!storageFailed) {
                storageFailed = true;
                unavailableReason = "storage failed: " + rootMessage(error); // wins over "shutting down"
                log.error("topic service stops taking posts: {}", unavailableReason);
            }
            result.completeExceptionally(new ServiceUnavailableException(unavailableReason));
            return;
        }
        if (seq > state.failedFromSeq) {
            // Stored, but behind the hole: it cannot be delivered in order. A retry with the same
            // idempotency key after a restart answers it exactly once.
            result.completeExceptionally(new ServiceUnavailableException(unavailableReason));
            return;
        }
        result.complete(new PostResult(ack, false));
        deliver(state, seq, envelope, receivedNanos);
    }

    /**
     * Makes message {@code seq} of a topic visible: the delivered seq moves to it and live
     * subscribers get it. Called in seq order, once the message may never be taken back (durable
     * here on a single node; committed on a majority when clustered).
     */
    void deliver(TopicState state, long seq, byte[] envelope, long receivedNanos) {
        Invariants.check(seq == state.deliveredSeq + 1, "durable out of order on %s: %s after %s",
                state.name, seq, state.deliveredSeq);
        state.deliveredSeq = seq;
        if (replicator != null) {
            visible.put(state.name, seq);
        }
        metrics.posted(state.name);
        int handedTo = 0;
        List<TopicSubscription> subs = state.subscriptions;
        for (int i = 0; i < subs.size(); i++) {
            TopicSubscription sub = subs.get(i);
            if (sub.live && seq == sub.nextSeq) {
                sub.nextSeq++;
                if (sub.owner.sink.offer(new OutboundFrame.Delivery(sub.owner.messagePrefix, false, envelope))) {
                    handedTo++;
                } else {
                    dropSlowConsumer(sub.owner.sink);
                    i = -1; // the list changed under us; restart (already-served subs have nextSeq > seq)
                }
            }
        }
        metrics.delivered(handedTo, System.nanoTime() - receivedNanos);
    }

    private void failStop(String reason) {
        if (unavailableReason == null || replicator != null) {
            unavailableReason = reason;
            log.error("topic service stops taking posts: {}", reason);
        }
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    TopicState topicState(String topic) {
        TopicState state = topics.get(topic);
        if (state == null) {
            state = new TopicState(topic, 0);
            topics.put(topic, state);
            // A pattern also picks up topics created after the subscription (CONTRACT.md §5).
            for (ClientSubscription pattern : patternSubscriptions) {
                if (pattern.pattern.matches(topic)) {
                    attach(pattern, state, false);
                }
            }
        }
        return state;
    }

    // ---------------------------------------------------------------- subscriptions

    @Override
    public void subscribe(SubscriberSink sink, String subscriptionId, String topicOrPattern, Replay replay) {
        runOnSequencer(() -> doSubscribe(sink, subscriptionId, topicOrPattern, replay, null));
    }

    /**
     * A peer LAN's remote subscription (its mirror stream): every topic matching {@code topicOrPattern}
     * from its first retained message, except those named in {@code resume}, which start at the seq
     * given there (what the peer's mirror lacks). Otherwise exactly a client's subscription.
     */
    public void subscribeFrom(SubscriberSink sink, String subscriptionId, String topicOrPattern, Map<String, Long> resume) {
        Map<String, Long> copy = Map.copyOf(resume);
        runOnSequencer(() -> doSubscribe(sink, subscriptionId, topicOrPattern, Replay.fromSeq(1), copy));
    }

    private void doSubscribe(SubscriberSink sink, String subscriptionId, String topicOrPattern, Replay replay,
                             Map<String, Long> resume) {
        Map<String, ClientSubscription> subs = connections.computeIfAbsent(sink, s -> new HashMap<>());
        if (subs.containsKey(subscriptionId)) {
            sink.offer(Frames.error(subscriptionId, "bad-request", "subscription id '" + subscriptionId + "' is already in use on this connection"));
            return;
        }
        if (subs.size() >= config.maxSubscriptionsPerConnection()) {
            sink.offer(Frames.error(subscriptionId, "too-many-requests", "a connection may hold at most "
                    + config.maxSubscriptionsPerConnection() + " subscriptions"));
            return;
        }
        if (replicator != null && unavailableReason != null) {
            // Clustered and not serving (minority, or catching up): the client must go to another node.
            sink.offer(Frames.error(subscriptionId, "unavailable", unavailableReason));
            return;
        }
        boolean wildcard = TopicName.isWildcard(topicOrPattern);
        ClientSubscription client = new ClientSubscription(sink, subscriptionId,
                wildcard ? TopicPattern.compile(topicOrPattern) : null, replay, resume);
        subs.put(subscriptionId, client);
        subscriptionCount.incrementAndGet();
        if (!sink.offer(Frames.subscribed(subscriptionId))) {
            dropSlowConsumer(sink);
            return;
        }
        if (wildcard) {
            patternSubscriptions.add(client);
            List<TopicState> matching = new ArrayList<>();
            for (TopicState state : topics.values()) {
                if (client.pattern.matches(state.name)) {
                    matching.add(state);
                }
            }
            matching.sort((a, b) -> a.name.compareTo(b.name));
            for (TopicState state : matching) {
                attach(client, state, replay.requested());
            }
        } else {
            attach(client, topicState(topicOrPattern), replay.requested());
        }
    }

    /** Registers the subscription on one topic at the current delivered seq: this is the seam. */
    private void attach(ClientSubscription client, TopicState state, boolean replayRequested) {
        TopicSubscription sub = new TopicSubscription(client, state, replayRequested);
        client.perTopic.add(sub);
        state.subscriptions.add(sub);
        long delivered = state.deliveredSeq;
        Replay replay = client.replay;
        long start = switch (replayRequested ? replay.kind() : Replay.Kind.NONE) {
            case NONE -> delivered + 1;
            case FROM_SEQ -> Math.max(1, replay.value());
            case LAST -> Math.max(1, delivered - replay.value() + 1);
            case FROM_TIME -> delivered == 0 ? 1 : store.seqAtTime(state.name, replay.value());
        };
        Long resumeAt = client.resume == null ? null : client.resume.get(state.name);
        if (resumeAt != null) {
            start = Math.max(1, resumeAt); // a peer's mirror resumes each topic where it stands
        }
        sub.nextSeq = start;
        pump(sub);
    }

    /**
     * Advances a replaying subscription: goes live once it has caught up with the delivered seq,
     * else reads the next chunk if the connection has room. Live messages that arrive meanwhile are
     * not buffered: they are durable, so the next chunk reads them from the store.
     */
    private void pump(TopicSubscription sub) {
        if (sub.cancelled || sub.live || sub.readInFlight) {
            return;
        }
        TopicState state = sub.topic;
        if (sub.nextSeq > state.deliveredSeq) {
            goLive(sub);
            return;
        }
        if (!sub.owner.sink.hasReplayRoom()) {
            return; // replayRoomAvailable() resumes it
        }
        sub.readInFlight = true;
        long from = sub.nextSeq;
        long to = state.deliveredSeq;
        try {
            readers.execute(() -> {
                HistoryChunk chunk;
                try {
                    chunk = store.readChunk(state.name, from, to, config.replayChunkRecords(), config.replayChunkBytes());
                } catch (RuntimeException e) {
                    log.warn("replay read of {} from {} failed", state.name, from, e);
                    chunk = null;
                }
                HistoryChunk read = chunk;
                runOnSequencer(() -> onChunk(sub, from, to, read));
            });
        } catch (RejectedExecutionException e) {
            sub.readInFlight = false; // shutting down
        }
    }

    private void onChunk(TopicSubscription sub, long from, long to, HistoryChunk chunk) {
        sub.readInFlight = false;
        if (sub.cancelled) {
            return;
        }
        SubscriberSink sink = sub.owner.sink;
        if (chunk == null) {
            endSubscription(sub.owner, Frames.error(sub.owner.id, "unavailable", "history of " + sub.topic.name + " could not be read"));
            return;
        }
        List<HistoryRecord> records = chunk.records();
        if (records.isEmpty()) {
            // Everything in [from, to] was trimmed by retention: start (or continue) after it.
            if (sub.sentAny) {
                endSubscription(sub.owner, Frames.error(sub.owner.id, "not-found", "retention trimmed "
                        + sub.topic.name + " during replay; resubscribe with a later fromSeq"));
                return;
            }
            sub.nextSeq = to + 1;
        }
        int sent = 0;
        for (HistoryRecord record : records) {
            if (record.seq() != sub.nextSeq) {
                if (sub.sentAny || record.seq() < sub.nextSeq) {
                    endSubscription(sub.owner, Frames.error(sub.owner.id, "not-found", "retention trimmed "
                            + sub.topic.name + " during replay; resubscribe with a later fromSeq"));
                    return;
                }
                sub.nextSeq = record.seq(); // the requested start was trimmed: begin at the oldest retained
            }
            sub.nextSeq++;
            sub.sentAny = true;
            sent++;
            if (!sink.offer(new OutboundFrame.Delivery(sub.owner.messagePrefix, true, record.body()))) {
                dropSlowConsumer(sink);
                return;
            }
        }
        metrics.replayed(sent);
        pump(sub);
    }

    private void goLive(TopicSubscription sub) {
        sub.live = true;
        if (sub.replayRequested) {
            // "Everything before lastSeq + 1 you asked for has been sent; live continues at lastSeq + 1."
            long lastSeq = sub.nextSeq - 1;
            if (!sub.owner.sink.offer(Frames.replayComplete(sub.owner.id, MirrorNames.display(sub.topic.name), lastSeq))) {
                dropSlowConsumer(sub.owner.sink);
            }
        }
    }

    @Override
    public void replayRoomAvailable(SubscriberSink sink) {
        runOnSequencer(() -> {
            Map<String, ClientSubscription> subs = connections.get(sink);
            if (subs == null) {
                return;
            }
            for (ClientSubscription client : new ArrayList<>(subs.values())) {
                for (TopicSubscription sub : new ArrayList<>(client.perTopic)) {
                    pump(sub);
                }
            }
        });
    }

    @Override
    public void unsubscribe(SubscriberSink sink, String subscriptionId) {
        runOnSequencer(() -> {
            Map<String, ClientSubscription> subs = connections.get(sink);
            ClientSubscription client = subs == null ? null : subs.get(subscriptionId);
            if (client == null) {
                sink.offer(Frames.error(subscriptionId, "not-found", "no subscription '" + subscriptionId + "' on this connection"));
                return;
            }
            removeSubscription(client);
            sink.offer(Frames.unsubscribed(subscriptionId));
        });
    }

    @Override
    public void disconnect(SubscriberSink sink) {
        runOnSequencer(() -> removeConnection(sink));
    }

    private void endSubscription(ClientSubscription client, OutboundFrame error) {
        removeSubscription(client);
        client.sink.offer(error);
    }

    private void removeSubscription(ClientSubscription client) {
        Map<String, ClientSubscription> subs = connections.get(client.sink);
        if (subs != null && subs.remove(client.id) != null) {
            subscriptionCount.decrementAndGet();
        }
        if (client.pattern != null) {
            patternSubscriptions.remove(client);
        }
        for (TopicSubscription sub : client.perTopic) {
            sub.cancelled = true;
            TopicState state = sub.topic;
            state.subscriptions.remove(sub);
            if (state.lastSeq == 0 && state.subscriptions.isEmpty() && state.pendingKeys.isEmpty()) {
                // Created only by a subscription and never posted to: forget it, so subscribing to
                // arbitrary names cannot grow the topic table without bound.
                topics.remove(state.name);
            }
        }
        client.perTopic.clear();
    }

    private void removeConnection(SubscriberSink sink) {
        Map<String, ClientSubscription> subs = connections.get(sink);
        if (subs == null) {
            return;
        }
        for (ClientSubscription client : new ArrayList<>(subs.values())) {
            removeSubscription(client);
        }
        connections.remove(sink);
    }

    private void dropSlowConsumer(SubscriberSink sink) {
        if (connections.containsKey(sink)) {
            removeConnection(sink);
            metrics.slowConsumer();
            sink.slowConsumer();
        }
    }

    /**
     * Cluster only: ends every subscription with an {@code unavailable} error, because this node stops
     * serving (it lost the majority or must catch up); clients resume on another node by fromSeq.
     */
    void endAllSubscriptions(String reason) {
        for (SubscriberSink sink : new ArrayList<>(connections.keySet())) {
            Map<String, ClientSubscription> subs = connections.get(sink);
            for (ClientSubscription client : new ArrayList<>(subs.values())) {
                endSubscription(client, Frames.error(client.id, "unavailable", reason));
            }
        }
    }

    /**
     * The newest seq of a topic that readers may see: everything on a single node; when clustered,
     * only what is committed (a message durable here alone could still be replaced by the group).
     * Readable from any thread.
     */
    @Override
    public long visibleThrough(String topic) {
        if (replicator == null) {
            return Long.MAX_VALUE;
        }
        Long seq = visible.get(topic);
        return seq == null ? 0 : seq;
    }

    /** Subscribe ops currently registered, over all connections (for the subscribers gauge). */
    public int subscriptionCount() {
        return subscriptionCount.get();
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public String unavailableReason() {
        return unavailableReason;
    }

    /** Posts accepted and not answered yet (a draining node waits for them before closing sockets). */
    public int inflightPosts() {
        return inflightPosts.get();
    }

    /** Stops taking posts and waits (bounded) for accepted ones to become durable. */
    @Override
    public void close() {
        if (unavailableReason == null) {
            unavailableReason = "node is shutting down"; // a clean stop, not a failure: no error log
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (inflightPosts.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        readers.shutdownNow();
        sequencer.shutdown();
        try {
            if (!sequencer.awaitTermination(5, TimeUnit.SECONDS)) {
                sequencer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean runOnSequencer(Runnable task) {
        try {
            sequencer.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    // A broken invariant on the sequencer means our state can no longer be trusted.
                    internalFailure = "internal error: " + e.getMessage();
                    failStop(internalFailure);
                    log.error("sequencer task failed; the node stops taking posts", e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void runOnSequencerOrFail(Runnable task, CompletableFuture<PostResult> result) {
        if (!runOnSequencer(task)) {
            result.completeExceptionally(new ServiceUnavailableException("node is shutting down"));
        }
    }

    // ---------------------------------------------------------------- state records

    /** Cluster only: the committed seq of every topic, for readers on other threads. */
    private final Map<String, Long> visible = new java.util.concurrent.ConcurrentHashMap<>();

    /** Cluster only: sets what readers may see of a topic after a catch-up (sequencer thread). */
    void setVisible(TopicState state) {
        visible.put(state.name, state.deliveredSeq);
    }

    /** One topic's sequencing and subscriber state, owned by the sequencer thread. */
    final class TopicState {
        final String name;
        long lastSeq;
        /** Cluster only: id of the message at lastSeq ("" when none), for a joiner's consistency check. */
        String lastId = "";
        /** Cluster only: idempotency keys of messages sequenced but not yet durable here, with their acks. */
        Map<String, byte[]> replicatedKeys;
        long deliveredSeq;
        long lastTimestampMillis;
        long failedFromSeq = Long.MAX_VALUE; // first seq whose append failed; nothing after it is delivered
        final Map<String, CompletableFuture<PostResult>> pendingKeys = new HashMap<>();
        final List<TopicSubscription> subscriptions = new ArrayList<>();

        TopicState(String name, long lastSeq) {
            this.name = name;
            this.lastSeq = lastSeq;
            this.deliveredSeq = lastSeq;
        }

    }

    /** One subscribe op of one connection, spanning one topic or every topic its pattern matches. */
    private static final class ClientSubscription {
        final SubscriberSink sink;
        final String id;
        final byte[] messagePrefix;
        final TopicPattern pattern;
        final Replay replay;
        final List<TopicSubscription> perTopic = new ArrayList<>(1);

        /** Per topic, where a peer LAN's mirror stream starts it (null for a client's subscription). */
        final Map<String, Long> resume;

        ClientSubscription(SubscriberSink sink, String id, TopicPattern pattern, Replay replay, Map<String, Long> resume) {
            this.sink = sink;
            this.id = id;
            this.messagePrefix = OutboundFrame.Delivery.prefixFor(id);
            this.pattern = pattern;
            this.replay = replay;
            this.resume = resume;
        }
    }

    /** A subscription's cursor on one topic: replaying from the store, then live. */
    private static final class TopicSubscription {
        final ClientSubscription owner;
        final TopicState topic;
        final boolean replayRequested;
        long nextSeq;
        boolean live;
        boolean readInFlight;
        boolean cancelled;
        boolean sentAny;

        TopicSubscription(ClientSubscription owner, TopicState topic, boolean replayRequested) {
            this.owner = owner;
            this.topic = topic;
            this.replayRequested = replayRequested;
        }
    }
}
