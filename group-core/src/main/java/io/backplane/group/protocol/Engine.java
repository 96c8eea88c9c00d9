package io.backplane.group.protocol;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One process of the LAN group as a deterministic state machine: events in ({@link #onPacket},
 * {@link #onTick}, {@link #multicast}, {@link #leave}, {@link #stabilize}), effects out
 * ({@link #drainEffects}). It owns no thread, clock, randomness or socket, so the simulator and the TCP
 * runtime drive the very same code.
 *
 * <p>View changes are a two-phase, ballot-numbered flush run by the oldest unsuspected member. Phase 1
 * ({@code FlushStart}/{@code FlushOk}) stops the survivors and collects what they hold; phase 2
 * ({@code Propose}/{@code Accept}) makes a majority of the old view accept one {@link Proposal}; then
 * {@code Commit} makes every survivor deliver the same final set and install the same view. Because a
 * coordinator that takes over re-proposes any proposal it finds accepted (as in Paxos), views form one
 * linear history even when coordinators fail mid-flush, and the majority quorum enforces the primary
 * partition.
 */
public final class Engine {
    /** Lifecycle of this process in the group. */
    public enum State {
        /** A new incarnation waiting for a view that includes it. */
        JOINING,
        /** In a view, sending and delivering. */
        MEMBER,
        /** Promised a view-change ballot: neither sends nor delivers until the commit. */
        FLUSHING,
        /** Left as asked. Terminal. */
        LEFT,
        /** A newer view excludes this incarnation. Terminal. */
        EXCLUDED;

        boolean canMoveTo(State next) {
            return switch (this) {
                case JOINING -> next == MEMBER;
                case MEMBER, FLUSHING -> next == MEMBER || next == FLUSHING || next == LEFT || next == EXCLUDED;
                case LEFT, EXCLUDED -> false;
            };
        }
    }

    private record PendingRequest(long requestId, Kind kind, byte[] payload) {
    }

    private record StabilizeWait(long token, long viewId, long ownIndex) {
    }

    private record FutureFrame(ProcessId from, Frame frame) {
    }

    /**
     * Bound on the payload bytes of one staged {@code DataBatch}: big enough that a batch amortises the
     * per-packet costs (header, channel seq/ack, encode call, syscall share) over many 1 KB messages, small
     * enough that one batch never holds up other frames on the channel for long.
     */
    static final int DATA_BATCH_BYTES_MAX = 64 * 1024;

    private final ProcessId self;
    private final EngineConfig config;
    /** Node slots that join requests and stuck probes go to; the runtime may replace it (discovery). */
    private List<Integer> seedNodes;
    private final List<Effect> effects = new ArrayList<>();
    private final Map<ProcessId, ReliableChannel> channels = new TreeMap<>();
    private final FailureDetector detector;
    private final ArrayDeque<PendingRequest> pending = new ArrayDeque<>();
    private final List<StabilizeWait> stabilizeWaits = new ArrayList<>();
    private final List<FutureFrame> futureFrames = new ArrayList<>();
    private final Map<ProcessId, Long> lastCatchUpTick = new TreeMap<>();
    /**
     * Own multicasts of the current view sent but not yet put on the channels, and ABCAST ordinals assigned
     * by this sequencer but not yet sent: staged so that one event (a burst of requests, a batch of frames)
     * goes out as one {@code DataBatch} and one {@code OrderBatch} per peer instead of a packet per message.
     * They are flushed before any other frame leaves (so per-peer FIFO order is what it would be without
     * staging) and when the host drains effects at the end of the event.
     */
    private final List<Message> stagedData = new ArrayList<>();
    private int stagedDataBytes;
    private final List<MessageId> stagedOrder = new ArrayList<>();
    private long stagedOrderFirst;
    /** The view everything staged belongs to. */
    private long stagedViewId;

    private long nowTick;
    private State state;
    private String stateReason = "created";
    private View view;
    private ViewState vs;
    private Proposal lastCommit;
    private long nextMessageSeq;
    private long deliveredSinceStability;
    private long nextRequestId;
    private long nextToken;
    /** Epoch of the last reliable channel created; each new channel takes the next (see ReliableChannel). */
    private long lastChannelEpoch;
    private boolean available = true;
    private boolean leaveRequested;

    private SortedSet<ProcessId> suspects = new TreeSet<>();
    private final Map<ProcessId, Long> reportedSuspectsUntil = new TreeMap<>();
    /** Survivors that did not answer a view-change phase in time, with the tick the suspicion lapses. */
    private final Map<ProcessId, Long> flushSuspectsUntil = new TreeMap<>();
    private final SortedSet<ProcessId> pendingJoins = new TreeSet<>();
    /** When each pending joiner last asked; one that stops asking (it died) is forgotten. */
    private final Map<ProcessId, Long> joinRequestTick = new TreeMap<>();
    /** Highest view id heard of (heartbeats, commits): a joiner never installs a view older than it. */
    private long highestViewIdSeen;
    /** First tick a heartbeat showed a view more than one ahead of ours (one we cannot reach), or -1. */
    private long unreachableViewSeenTick = -1;
    /** Members heard heartbeating a view older than ours, with the first tick of that run of heartbeats. */
    private final Map<ProcessId, Long> laggingSinceTick = new TreeMap<>();
    /** First tick of the current run of being unavailable or frozen by a flush, or -1. */
    private long stuckSinceTick = -1;
    private final SortedSet<ProcessId> pendingLeaves = new TreeSet<>();

    // Member side of the view change (Paxos acceptor).
    private Ballot promised = Ballot.ZERO;
    private Ballot acceptedBallot = Ballot.ZERO;
    private Proposal accepted;
    private long flushingSinceTick;
    private long frozenMemberSeenTick = -1;

    // Coordinator side of the view change (Paxos proposer).
    private final ViewChangeProposer proposer = new ViewChangeProposer();
    /** Highest ballot round seen in this view, so a new attempt outbids every earlier one. */
    private long highestRoundSeen;

    /**
     * @param self        this incarnation
     * @param config      validated configuration
     * @param initialView the bootstrap view if this process starts as a member of it, or null to join
     * @param seedNodes   node slots to send join requests to
     */
    public Engine(ProcessId self, EngineConfig config, View initialView, List<Integer> seedNodes) {
        this.self = self;
        this.config = config;
        this.seedNodes = List.copyOf(seedNodes);
        this.detector = new FailureDetector(config);
        this.state = State.JOINING;
        if (initialView != null) {
            install(initialView, null);
        }
    }

    public ProcessId self() {
        return self;
    }

    /**
     * Replaces the node slots that join requests and stuck-member probes are sent to, as the runtime's
     * address book learns of nodes (discovery). Sorted and deduplicated here, so the engine's behaviour
     * does not depend on the order the host happened to learn them in.
     */
    public void updateSeedNodes(List<Integer> nodes) {
        seedNodes = List.copyOf(new TreeSet<>(nodes));
    }

    /** The node slots join requests and probes currently go to, in ascending order. */
    public List<Integer> seedNodes() {
        return seedNodes;
    }

    /**
     * Founds a new group: installs a view of this process alone, so others can join it through the normal
     * join protocol. The host decides when (the runtime's founding rule, ARCHITECTURE.md §7.2); the engine
     * only refuses when it is no longer joining. The view id is above every view id this process has heard
     * of and above {@code viewIdAtLeast} (the host passes one more than the highest view id gossiped), so a
     * founded view is never taken for a view of an earlier cluster: a stuck member of that cluster probing
     * us gets {@code NotMember} (our view is newer) instead of a commit it could confuse with its own.
     *
     * @return true if the view was installed
     */
    public boolean found(long viewIdAtLeast) {
        if (state != State.JOINING || view != null) {
            return false;
        }
        long id = Math.max(Math.max(1, viewIdAtLeast), highestViewIdSeen + 1);
        install(new View(id, List.of(self)), null);
        return true;
    }

    /** Highest view id this process has heard of (its own view, heartbeats, commits), 0 if none. */
    public long highestViewIdSeen() {
        return highestViewIdSeen;
    }

    public State state() {
        return state;
    }

    /** The installed view, or null while joining. */
    public View view() {
        return view;
    }

    public boolean isTerminated() {
        return state == State.LEFT || state == State.EXCLUDED;
    }

    public int pendingRequests() {
        return pending.size();
    }

    /** The view of the proposal this process accepted and has not yet seen committed, or null. */
    public View acceptedNextView() {
        return accepted == null ? null : accepted.next();
    }

    /** True while this process drives a view change as coordinator. */
    public boolean isCoordinatingViewChange() {
        return proposer.isActive();
    }

    /** True when this process has nothing queued and no view change in progress. */
    public boolean isQuiescent() {
        return state == State.MEMBER && pending.isEmpty() && !proposer.isActive() && pendingJoins.isEmpty()
                && pendingLeaves.isEmpty();
    }

    /**
     * Returns and clears the effects produced since the last call. The host calls it when it has finished
     * handing this engine an event (or a burst of events): staged multicasts and ABCAST orders leave now.
     */
    public List<Effect> drainEffects() {
        flushStaged();
        List<Effect> out = new ArrayList<>(effects);
        effects.clear();
        return out;
    }

    // ---------------------------------------------------------------- requests

    /** Asks for a multicast; returns the request id used in {@link Effect.Sent} or {@link Effect.Rejected}. */
    public long multicast(Kind kind, byte[] payload) {
        return enqueue(kind, payload.clone());
    }

    /**
     * As {@link #multicast}, but the engine keeps {@code payload} itself instead of a copy: the caller hands
     * it over and must never change it afterwards. For hosts that already own a private copy (the runtime
     * copies on the application's thread), which saves one copy of every payload sent.
     */
    public long multicastHandingOver(Kind kind, byte[] payload) {
        return enqueue(kind, payload);
    }

    /**
     * Sends bytes to one other member of the current view over its reliable FIFO channel: not a multicast,
     * so no ordering with multicasts and no flow-control window (the caller bounds what it sends; state
     * transfer pulls one chunk at a time). Returns false, sending nothing, if {@code to} is not another member
     * of the view or this process is not a member. Frames of a view that ends before they arrive are dropped
     * with it, so callers ask again after a view change.
     */
    public boolean sendDirect(ProcessId to, byte[] payload) {
        if (state != State.MEMBER || view == null || to.equals(self) || !view.contains(to)) {
            return false;
        }
        transmitReliable(to, new Frame.Direct(view.id(), payload));
        return true;
    }

    private long enqueue(Kind kind, byte[] payload) {
        long requestId = ++nextRequestId;
        if (isTerminated()) {
            effects.add(new Effect.Rejected(requestId, "process is " + state));
            return requestId;
        }
        if (pending.size() >= config.pendingRequestsMax()) {
            effects.add(new Effect.Rejected(requestId, "pending request queue full"));
            return requestId;
        }
        pending.addLast(new PendingRequest(requestId, kind, payload));
        drainPending();
        return requestId;
    }

    /** Asks to leave the group; {@link Effect.Left} follows once a view without this process is installed. */
    public void leave() {
        if (isTerminated() || leaveRequested) {
            return;
        }
        leaveRequested = true;
        if (state != State.JOINING && view.size() == 1) {
            state(State.LEFT, "last member left");
            effects.add(new Effect.Left(view.id()));
            return;
        }
        sendLeaveRequest();
    }

    /**
     * The ISIS flush primitive ({@code pg_flush}), named for what it waits for: returns a token that
     * {@link Effect.Stabilized} reports once every multicast this process sent before the call is stable
     * (delivered at every member, or settled by a view change).
     */
    public long stabilize() {
        long token = ++nextToken;
        long index = vs == null ? 0 : vs.sentInView;
        stabilizeWaits.add(new StabilizeWait(token, view == null ? 0 : view.id(), index));
        checkStabilizeWaits();
        return token;
    }

    // ---------------------------------------------------------------- events

    public void onPacket(Packet p) {
        if (isTerminated()) {
            return;
        }
        boolean toAnyIncarnation = p.to().node() == self.node() && p.to().incarnation() == ProcessId.ANY_INCARNATION;
        boolean toMe = p.to().equals(self)
                || (toAnyIncarnation && (p.frame() instanceof Frame.JoinRequest || p.frame() instanceof Frame.Heartbeat));
        if (!toMe) {
            return; // addressed to an earlier incarnation of this node: fail-stop says ignore it
        }
        detector.heard(p.from(), nowTick);
        if (p.isReliable() && state == State.JOINING) {
            // A joiner keeps no channel state: it may be named in a view it never installs, dropped from
            // the next, and added again, while its peers start fresh channels each time. It takes the
            // commit that admits it straight from the packet and leaves everything else unacknowledged,
            // so senders retransmit it once both ends start their channels together.
            if (p.frame() instanceof Frame.Commit c) {
                onCommit(c.proposal());
            }
            return;
        }
        if (p.isReliable()) {
            if (!acceptsReliableFrom(p.from())) {
                return; // no ack: the sender retransmits until we are in a view that includes it
            }
            ReliableChannel ch = channel(p.from());
            ch.onAck(p.ack(), p.ackEpoch());
            for (Frame f : ch.onReceive(p.seq(), p.epoch(), p.frame())) {
                if (isTerminated()) {
                    return;
                }
                onFrame(p.from(), f);
            }
        } else {
            ReliableChannel ch = channels.get(p.from());
            if (ch != null) {
                ch.onAck(p.ack(), p.ackEpoch());
            }
            onFrame(p.from(), p.frame());
        }
    }

    public void onTick() {
        nowTick++;
        if (isTerminated()) {
            return;
        }
        if (state == State.JOINING) {
            if (nowTick % config.joinRetryTicks() == 1) {
                for (int node : seedNodes) {
                    if (node != self.node()) {
                        transmitUnreliable(new ProcessId(node, ProcessId.ANY_INCARNATION), new Frame.JoinRequest());
                    }
                }
            }
            tickChannels();
            return;
        }
        if (nowTick % config.heartbeatIntervalTicks() == 0) {
            for (ProcessId m : view.members()) {
                if (!m.equals(self)) {
                    transmitUnreliable(m, new Frame.Heartbeat(view.id(), state == State.FLUSHING ? promised.round() : 0));
                }
            }
        }
        probeIfStuck();
        if (nowTick % config.stabilityIntervalTicks() == 0
                || (config.promptStability() && deliveredSinceStability > 0)) {
            broadcastStability();
        }
        if (leaveRequested && nowTick % config.flushTimeoutTicks() == 0) {
            sendLeaveRequest();
        }
        updateSuspicions();
        if (unreachableViewSeenTick >= 0 && nowTick - unreachableViewSeenTick > config.flushTimeoutTicks()) {
            exclude(highestViewIdSeen, "view " + highestViewIdSeen + " is out of reach from " + view);
            return;
        }
        coordinatorTick();
        tickChannels();
    }

    // ---------------------------------------------------------------- frames

    private void onFrame(ProcessId from, Frame f) {
        if (f instanceof Frame.Heartbeat h) {
            onHeartbeat(from, h);
        } else if (f instanceof Frame.JoinRequest) {
            onJoinRequest(from);
        } else if (f instanceof Frame.NotMember nm) {
            if (view != null && nm.viewId() > view.id()) {
                exclude(nm.viewId(), "told by " + from);
            }
        } else if (f instanceof Frame.Commit c) {
            onCommit(c.proposal());
        } else if (f instanceof Frame.AckOnly) {
            return;
        } else {
            long viewId = viewIdOf(f);
            if (view == null || viewId > view.id()) {
                bufferFuture(from, f);
            } else if (viewId == view.id() && view.contains(from)) {
                onCurrentViewFrame(from, f);
            }
        }
    }

    private void onCurrentViewFrame(ProcessId from, Frame f) {
        if (f instanceof Frame.Data d) {
            onData(d.message());
        } else if (f instanceof Frame.DataBatch b) {
            for (Message m : b.messages()) {
                vs.receive(m);
            }
            deliverReady();
        } else if (f instanceof Frame.OrderBatch o) {
            if (from.equals(view.coordinator())) {
                vs.addOrder(o.firstOrdinal(), o.ids());
                deliverReady();
            }
        } else if (f instanceof Frame.Stability s) {
            vs.onStability(view.rankOf(from), s.delivered(), s.abcastDelivered());
            reportStable();
            drainPending();
            checkStabilizeWaits();
        } else if (f instanceof Frame.Suspect s) {
            for (ProcessId p : s.suspects()) {
                if (view.contains(p) && !p.equals(self)) {
                    reportedSuspectsUntil.put(p, nowTick + config.suspectTimeoutTicksMin());
                }
            }
        } else if (f instanceof Frame.LeaveRequest) {
            pendingLeaves.add(from);
        } else if (f instanceof Frame.FlushStart s) {
            onFlushStart(from, s);
        } else if (f instanceof Frame.FlushOk ok) {
            onFlushOk(from, ok);
        } else if (f instanceof Frame.FlushNack nack) {
            onFlushNack(nack);
        } else if (f instanceof Frame.Propose pr) {
            onPropose(from, pr);
        } else if (f instanceof Frame.Accept a) {
            onAccept(from, a);
        } else if (f instanceof Frame.Direct d) {
            effects.add(new Effect.Received(from, d.payload()));
        } else {
            throw new Invariants.InvariantViolation("unhandled frame " + f);
        }
    }

    private static long viewIdOf(Frame f) {
        if (f instanceof Frame.Data d) {
            return d.message().viewId();
        } else if (f instanceof Frame.DataBatch b) {
            return b.viewId();
        } else if (f instanceof Frame.OrderBatch o) {
            return o.viewId();
        } else if (f instanceof Frame.Stability s) {
            return s.viewId();
        } else if (f instanceof Frame.Suspect s) {
            return s.viewId();
        } else if (f instanceof Frame.LeaveRequest l) {
            return l.viewId();
        } else if (f instanceof Frame.FlushStart s) {
            return s.viewId();
        } else if (f instanceof Frame.FlushOk k) {
            return k.viewId();
        } else if (f instanceof Frame.FlushNack k) {
            return k.viewId();
        } else if (f instanceof Frame.Propose p) {
            return p.viewId();
        } else if (f instanceof Frame.Accept a) {
            return a.viewId();
        } else if (f instanceof Frame.Direct d) {
            return d.viewId();
        }
        throw new Invariants.InvariantViolation("frame without a view id " + f);
    }

    private void bufferFuture(ProcessId from, Frame f) {
        if (f instanceof Frame.Stability || f instanceof Frame.Suspect) {
            return; // periodic and idempotent: the next one will do
        }
        if (config.has(PlantedBug.DELIVER_IN_WRONG_VIEW) && view != null
                && (f instanceof Frame.Data || f instanceof Frame.DataBatch)) {
            List<Message> ms = f instanceof Frame.Data d ? List.of(d.message()) : ((Frame.DataBatch) f).messages();
            for (Message m : ms) {
                effects.add(new Effect.Deliver(m.id(), view.id(), m.kind(), m.payload()));
            }
            return;
        }
        Invariants.check(futureFrames.size() < config.futureFramesMax(), "future frame buffer overflow", self);
        futureFrames.add(new FutureFrame(from, f));
    }

    private void onData(Message m) {
        if (!vs.receive(m)) {
            return;
        }
        deliverReady();
    }

    private void onHeartbeat(ProcessId from, Frame.Heartbeat h) {
        highestViewIdSeen = Math.max(highestViewIdSeen, h.viewId());
        if (view != null && state != State.JOINING && view.contains(from)) {
            noteViewDistance(from, h.viewId());
        }
        if (view != null && h.viewId() == view.id() && h.promisedRound() > 0 && view.contains(from)) {
            // A member is frozen by a ballot nobody is driving any more (its proposer stepped down when an
            // older member reappeared): the acting coordinator must finish a view change to release it.
            highestRoundSeen = Math.max(highestRoundSeen, h.promisedRound());
            frozenMemberSeenTick = nowTick;
        }
        if (view == null || h.viewId() >= view.id() || h.viewId() == 0) {
            return;
        }
        Long last = lastCatchUpTick.get(from);
        if (last != null && nowTick - last < config.retransmitIntervalTicks()) {
            return;
        }
        lastCatchUpTick.put(from, nowTick);
        // The sender is behind. If the view it missed includes it, hand it the commit; otherwise it was
        // excluded and must come back as a new incarnation.
        if (lastCommit != null && lastCommit.prevViewId() == h.viewId()
                && (lastCommit.next().contains(from) || lastCommit.leavers().contains(from))) {
            transmitUnreliable(from, new Frame.Commit(lastCommit));
        } else if (!view.contains(from)) {
            transmitUnreliable(from, new Frame.NotMember(view.id()));
        }
    }

    /**
     * Catch-up reaches only one view back (a process keeps only its last commit). A member heartbeating an
     * older view that catch-up did not bring forward is suspected after a flush timeout, so it cannot hold
     * the group (flow control, flushes) forever; a member that hears of a view two or more ahead of its own
     * cannot reach it and, after the same grace period, excludes itself and rejoins as a new incarnation.
     */
    private void noteViewDistance(ProcessId from, long theirViewId) {
        if (theirViewId != 0 && theirViewId < view.id()) {
            laggingSinceTick.putIfAbsent(from, nowTick);
        } else {
            laggingSinceTick.remove(from);
        }
        if (theirViewId > view.id() + 1 && unreachableViewSeenTick < 0) {
            unreachableViewSeenTick = nowTick;
        }
    }

    /**
     * Heartbeats reach only the incarnations of our own view. If every one of them has since restarted (or
     * been replaced) while we missed the commits, nobody would ever tell us: their new incarnations drop
     * packets for the old ones. So a member that stays unavailable or frozen by a flush for a long while
     * heartbeats every node slot as "any incarnation"; whoever holds the group answers with the commit we
     * missed or NotMember, as for any heartbeat from behind.
     */
    private void probeIfStuck() {
        if (available && state == State.MEMBER) {
            stuckSinceTick = -1;
            return;
        }
        if (stuckSinceTick < 0) {
            stuckSinceTick = nowTick;
        }
        if (nowTick - stuckSinceTick > 2L * config.suspectTimeoutTicksMax() && nowTick % config.joinRetryTicks() == 0) {
            for (int node : seedNodes) {
                if (node != self.node()) {
                    transmitUnreliable(new ProcessId(node, ProcessId.ANY_INCARNATION),
                            new Frame.Heartbeat(view.id(), state == State.FLUSHING ? promised.round() : 0));
                }
            }
        }
    }

    private void onJoinRequest(ProcessId from) {
        if (view == null || !self.equals(actingCoordinator()) || state == State.JOINING) {
            return;
        }
        if (view.contains(from)) {
            if (lastCommit != null && lastCommit.isJoiner(from)) {
                transmitUnreliable(from, new Frame.Commit(lastCommit));
            }
            return;
        }
        for (ProcessId m : view.members()) {
            if (m.node() == from.node() && m.incarnation() >= from.incarnation()) {
                return; // a stale request from an older incarnation
            }
        }
        pendingJoins.removeIf(j -> j.node() == from.node() && j.incarnation() < from.incarnation());
        if (pendingJoins.stream().noneMatch(j -> j.node() == from.node())) {
            pendingJoins.add(from);
        }
        if (pendingJoins.contains(from)) {
            joinRequestTick.put(from, nowTick);
        }
    }

    // ---------------------------------------------------------------- multicast

    private boolean canSendNow() {
        return state == State.MEMBER && available && vs.unstableOwn() < config.sendWindowMax();
    }

    private void drainPending() {
        while (!pending.isEmpty() && canSendNow()) {
            PendingRequest r = pending.pollFirst();
            Message m = vs.newOwnMessage(new MessageId(self, ++nextMessageSeq), r.kind(), r.payload());
            effects.add(new Effect.Sent(r.requestId(), m.id(), view.id(), r.kind()));
            if (stagedDataBytes + m.payload().length > DATA_BATCH_BYTES_MAX) {
                flushStaged();
            }
            stageIn(view.id());
            stagedData.add(m);
            stagedDataBytes += m.payload().length;
            deliverReady();
        }
    }

    private void deliverReady() {
        if (state != State.MEMBER) {
            return; // frozen by a view change: the commit decides what is still delivered in this view
        }
        List<MessageId> newOrder = new ArrayList<>();
        long firstOrdinal = vs.abcastDelivered + 1;
        List<Message> ready = vs.deliverReady(true, newOrder);
        if (!newOrder.isEmpty()) {
            long first = vs.abcastDelivered - newOrder.size() + 1;
            Invariants.check(first >= firstOrdinal, "sequencer ordinals out of step", first);
            stageIn(view.id());
            if (stagedOrder.isEmpty()) {
                stagedOrderFirst = first;
            }
            Invariants.check(stagedOrderFirst + stagedOrder.size() == first, "staged order has a gap", first);
            stagedOrder.addAll(newOrder);
        }
        emitDeliveries(ready);
    }

    private void emitDeliveries(List<Message> ready) {
        deliveredSinceStability += ready.size();
        if (state == State.MEMBER && deliveredSinceStability >= Math.max(1, config.sendWindowMax() / 4)) {
            // Senders are held back by stability (flow control), so under load report it at once
            // rather than waiting for the periodic gossip.
            broadcastStability();
        }
        for (Message m : ready) {
            effects.add(new Effect.Deliver(m.id(), view.id(), m.kind(), m.payload()));
            if (config.has(PlantedBug.DUPLICATE_DELIVERY) && m.vt()[view.rankOf(m.id().sender())] == 2) {
                effects.add(new Effect.Deliver(m.id(), view.id(), m.kind(), m.payload()));
            }
        }
        reportStable();
    }

    /**
     * Tells the host when more ABCASTs of the current view have been delivered by every member. Only as a
     * member: once frozen by a view change the install settles the view (see {@link Effect.Stable}).
     */
    private void reportStable() {
        if (state != State.MEMBER) {
            return;
        }
        long through = vs.abcastStable();
        if (through > vs.abcastStableReported) {
            vs.abcastStableReported = through;
            effects.add(new Effect.Stable(view.id(), through));
        }
    }

    private void broadcastStability() {
        deliveredSinceStability = 0;
        Frame.Stability s = vs.stability();
        for (ProcessId m : view.members()) {
            if (!m.equals(self)) {
                transmitUnreliable(m, s);
            }
        }
    }

    private void checkStabilizeWaits() {
        if (view == null) {
            return;
        }
        stabilizeWaits.removeIf(w -> {
            boolean done = w.viewId() < view.id() || (w.viewId() == view.id() && vs.stableOwn() >= w.ownIndex());
            if (done) {
                effects.add(new Effect.Stabilized(w.token()));
            }
            return done;
        });
    }

    // ---------------------------------------------------------------- failure detection

    private ProcessId actingCoordinator() {
        for (ProcessId m : view.members()) {
            if (m.equals(self) || (!suspects.contains(m) && !flushSuspectsUntil.containsKey(m))) {
                return m;
            }
        }
        throw new Invariants.InvariantViolation("self not in own view " + view);
    }

    private void updateSuspicions() {
        suspects = detector.suspects(nowTick);
        for (Map.Entry<ProcessId, ReliableChannel> e : channels.entrySet()) {
            if (e.getValue().overloaded() && view.contains(e.getKey())) {
                suspects.add(e.getKey()); // overflow policy: a peer that cannot keep up is treated as failed
            }
            if (e.getValue().oldestUnackedAgeTicks(nowTick) > config.suspectTimeoutTicksMax() && view.contains(e.getKey())) {
                // Heartbeats prove only that the peer can send. One that never acknowledges (it cannot hear
                // us: a half-open connection) would hold stability and flow control back forever.
                suspects.add(e.getKey());
            }
        }
        for (Map.Entry<ProcessId, Long> e : laggingSinceTick.entrySet()) {
            if (nowTick - e.getValue() > config.flushTimeoutTicks() && view.contains(e.getKey())) {
                suspects.add(e.getKey()); // stuck in a view it cannot leave: see noteViewDistance
            }
        }
        reportedSuspectsUntil.values().removeIf(until -> until < nowTick);
        flushSuspectsUntil.values().removeIf(until -> until < nowTick);
        int reachable = 0;
        for (ProcessId m : view.members()) {
            if (m.equals(self) || !isSuspected(m)) {
                reachable++;
            }
        }
        setAvailable(view.isMajority(reachable), "suspects " + suspects + " in " + view);
        ProcessId coordinator = actingCoordinator();
        if (!suspects.isEmpty() && !coordinator.equals(self) && nowTick % config.heartbeatIntervalTicks() == 0) {
            transmitUnreliable(coordinator, new Frame.Suspect(view.id(), new ArrayList<>(suspects)));
        }
    }

    private void setAvailable(boolean now, String reason) {
        if (now != available) {
            available = now;
            effects.add(new Effect.Availability(now, now ? "majority reachable" : "minority: " + reason));
            if (now) {
                drainPending();
            }
        }
    }

    private void sendLeaveRequest() {
        if (view == null || state == State.JOINING) {
            return;
        }
        ProcessId coordinator = actingCoordinator();
        if (coordinator.equals(self)) {
            pendingLeaves.add(self);
        } else {
            transmitReliable(coordinator, new Frame.LeaveRequest(view.id()));
        }
    }

    // ---------------------------------------------------------------- view change: coordinator

    private void coordinatorTick() {
        if (!self.equals(actingCoordinator())) {
            proposer.abandon("an older member is alive", nowTick);
            // joiners and leavers repeat their requests, so only the acting coordinator keeps them
            pendingJoins.clear();
            pendingLeaves.clear();
            return;
        }
        // A joiner repeats its request every joinRetryTicks; one that stopped has probably died, and
        // admitting it would hand a veto over the next view to a process that will never answer.
        pendingJoins.removeIf(j -> nowTick - joinRequestTick.getOrDefault(j, nowTick) > 2L * config.joinRetryTicks());
        joinRequestTick.keySet().retainAll(pendingJoins);
        if (proposer.isActive()) {
            if (proposer.timedOut(nowTick, config.flushTimeoutTicks())) {
                for (ProcessId s : proposer.silentSurvivors()) {
                    if (!s.equals(self)) {
                        // lapses, so a member cut off during a partition is tried again once it heals
                        flushSuspectsUntil.put(s, nowTick + config.suspectTimeoutTicksMax());
                    }
                }
                startViewChange("phase timed out");
            }
            return;
        }
        if (viewChangeNeeded()) {
            startViewChange("membership change needed");
        }
    }

    private boolean isSuspected(ProcessId m) {
        return suspects.contains(m) || flushSuspectsUntil.containsKey(m) || reportedSuspectsUntil.containsKey(m);
    }

    private boolean viewChangeNeeded() {
        for (ProcessId m : view.members()) {
            if (!m.equals(self) && isSuspected(m)) {
                return true;
            }
        }
        boolean stalledFlush = state == State.FLUSHING && nowTick - flushingSinceTick > config.flushTimeoutTicks();
        if (frozenMemberSeenTick >= 0 && nowTick - frozenMemberSeenTick <= config.heartbeatIntervalTicks()) {
            stalledFlush = true;
        }
        return !pendingJoins.isEmpty() || !pendingLeaves.isEmpty() || stalledFlush;
    }

    private void startViewChange(String why) {
        List<ProcessId> alive = new ArrayList<>();
        for (ProcessId m : view.members()) {
            boolean replaced = pendingJoins.stream().anyMatch(j -> j.node() == m.node());
            if (m.equals(self) || (!isSuspected(m) && !replaced)) {
                alive.add(m);
            }
        }
        if (!view.isMajority(alive.size())) {
            proposer.abandon("no majority for a view change", nowTick);
            setAvailable(false, "only " + alive + " of " + view + " can take part in a view change");
            return;
        }
        highestRoundSeen = Math.max(highestRoundSeen, promised.round());
        List<ProcessId> leavers = new ArrayList<>();
        for (ProcessId p : pendingLeaves) {
            if (alive.contains(p)) {
                leavers.add(p);
            }
        }
        // Admit fewer joiners than the members kept, so the new view's majority never depends on
        // processes that might die before they install it; the rest join in the next view change. A
        // leave that would keep fewer than two members while joiners wait is put off to a later view
        // change (the leaver asks again), else one old member plus one joiner would make a view in which
        // a joiner that never arrives holds a veto. Only a group already down to one member must trust a
        // joiner: it has no other way to grow.
        int staying = alive.size() - leavers.size();
        if (!pendingJoins.isEmpty() && staying < 2 && alive.size() >= 2) {
            while (staying < 2 && !leavers.isEmpty()) {
                leavers.remove(leavers.size() - 1);
                staying++;
            }
        }
        int joinersMax = staying >= 2 ? staying - 1 : (alive.size() == 1 ? 1 : 0);
        List<ProcessId> joiners = new ArrayList<>(pendingJoins);
        joiners = joiners.subList(0, Math.min(joiners.size(), joinersMax));
        proposer.begin(new Ballot(++highestRoundSeen, self), alive, joiners, leavers, nowTick, why);
        Frame.FlushStart start = new Frame.FlushStart(view.id(), proposer.ballot());
        for (ProcessId s : proposer.survivors()) {
            if (s.equals(self)) {
                onFlushStart(self, start);
            } else {
                transmitReliable(s, start);
            }
        }
    }

    private void onFlushOk(ProcessId from, Frame.FlushOk ok) {
        Proposal proposal = proposer.onFlushOk(from, ok, view, self, nowTick);
        if (proposal == null) {
            return;
        }
        Frame.Propose propose = new Frame.Propose(view.id(), proposer.ballot(), proposal);
        for (ProcessId s : proposer.survivors()) {
            if (s.equals(self)) {
                onPropose(self, propose);
            } else {
                transmitReliable(s, propose);
            }
        }
    }

    private void onFlushNack(Frame.FlushNack nack) {
        highestRoundSeen = Math.max(highestRoundSeen, nack.promised().round());
        if (nack.promised().greaterThan(proposer.ballot())) {
            proposer.abandon("outbid by " + nack.promised(), nowTick);
        }
    }

    private void onAccept(ProcessId from, Frame.Accept a) {
        Proposal chosen = proposer.onAccept(from, a.ballot(), view, nowTick);
        if (chosen == null) {
            return;
        }
        Frame.Commit commit = new Frame.Commit(chosen);
        SortedSet<ProcessId> targets = new TreeSet<>(view.members());
        targets.addAll(chosen.next().members());
        for (ProcessId t : targets) {
            if (!t.equals(self)) {
                transmitReliable(t, commit);
            }
        }
        // The commit must reach processes outside the new view (leavers) and joiners even though their
        // channels are dropped or fresh at install: catch-up via heartbeats and join retries covers loss.
        onCommit(chosen);
    }

    // ---------------------------------------------------------------- view change: member

    private void onFlushStart(ProcessId from, Frame.FlushStart s) {
        highestRoundSeen = Math.max(highestRoundSeen, s.ballot().round());
        if (s.ballot().compareTo(promised) < 0) {
            if (!from.equals(self)) {
                transmitReliable(from, new Frame.FlushNack(view.id(), promised));
            }
            return;
        }
        promised = s.ballot();
        if (s.ballot().greaterThan(proposer.ballot())) {
            proposer.abandon("a higher ballot from " + from, nowTick);
        }
        if (state == State.MEMBER) {
            flushingSinceTick = nowTick;
        }
        state(State.FLUSHING, "promised " + s.ballot());
        Frame.FlushOk ok = vs.flushOk(s.ballot(), acceptedBallot, accepted);
        if (from.equals(self)) {
            onFlushOk(self, ok);
        } else {
            transmitReliable(from, ok);
        }
    }

    private void onPropose(ProcessId from, Frame.Propose p) {
        highestRoundSeen = Math.max(highestRoundSeen, p.ballot().round());
        if (p.ballot().compareTo(promised) < 0) {
            if (!from.equals(self)) {
                transmitReliable(from, new Frame.FlushNack(view.id(), promised));
            }
            return;
        }
        promised = p.ballot();
        acceptedBallot = p.ballot();
        accepted = p.proposal();
        if (state == State.MEMBER) {
            flushingSinceTick = nowTick;
        }
        state(State.FLUSHING, "accepted " + p.ballot());
        effects.add(new Effect.Accepted(view.id(), p.proposal().next()));
        Frame.Accept a = new Frame.Accept(view.id(), p.ballot());
        if (from.equals(self)) {
            onAccept(self, a);
        } else {
            transmitReliable(from, a);
        }
    }

    private void onCommit(Proposal p) {
        if (isTerminated()) {
            return;
        }
        if (state == State.JOINING) {
            // A commit that names us may be stale: that view may have ended, even dropped us, before this
            // copy arrived. Installing it would leave us in a view nobody can bring us forward from.
            if (p.isJoiner(self) && p.next().id() >= highestViewIdSeen) {
                install(p.next(), p);
            }
            highestViewIdSeen = Math.max(highestViewIdSeen, p.next().id());
            return;
        }
        if (p.prevViewId() != view.id()) {
            return; // stale, or a view we cannot reach directly: catch-up will bring the right commit
        }
        boolean stays = p.next().contains(self);
        if (stays || p.leavers().contains(self)) {
            if (!config.has(PlantedBug.SKIP_FLUSH_DELIVERY)) {
                emitDeliveries(vs.deliverFinalSet(p));
            }
            if (stays) {
                install(p.next(), p);
            } else {
                state(State.LEFT, "left in " + p.next());
                effects.add(new Effect.Left(p.next().id()));
            }
        } else {
            exclude(p.next().id(), "not in committed " + p.next());
        }
    }

    private void exclude(long viewId, String why) {
        if (leaveRequested) {
            // It asked to go and a newer view no longer has it: that is the leave it asked for, even if the
            // commit that removed it (and its final set) never reached it.
            state(State.LEFT, "removed as asked: " + why);
            effects.add(new Effect.Left(viewId));
            return;
        }
        state(State.EXCLUDED, why);
        effects.add(new Effect.Excluded(viewId));
    }

    private void install(View next, Proposal commit) {
        Invariants.check(next.contains(self), "installing a view without self", next);
        Invariants.check(view == null || next.id() > view.id(), "view ids only grow", next);
        view = next;
        vs = new ViewState(next, self, config);
        lastCommit = commit;
        promised = Ballot.ZERO;
        acceptedBallot = Ballot.ZERO;
        accepted = null;
        highestRoundSeen = 0;
        proposer.abandon("view installed", nowTick);
        flushSuspectsUntil.clear();
        frozenMemberSeenTick = -1;
        unreachableViewSeenTick = -1;
        highestViewIdSeen = Math.max(highestViewIdSeen, next.id());
        laggingSinceTick.keySet().retainAll(next.members());
        reportedSuspectsUntil.clear();
        pendingJoins.removeIf(j -> next.members().stream()
                .anyMatch(m -> m.node() == j.node() && m.incarnation() >= j.incarnation()));
        pendingLeaves.clear();
        channels.keySet().retainAll(next.members());
        lastCatchUpTick.clear();
        detector.retainOnly(next.members());
        for (ProcessId m : next.members()) {
            if (!m.equals(self)) {
                detector.track(m, nowTick);
            }
        }
        suspects = new TreeSet<>();
        state(State.MEMBER, "installed " + next);
        effects.add(new Effect.InstallView(next));
        setAvailable(true, "");
        checkStabilizeWaits();
        if (leaveRequested && next.size() == 1) {
            // Everyone asked to leave at once: the view change kept us, its coordinator, since a view
            // cannot be empty. Asking again would install another view of just us, forever.
            state(State.LEFT, "last member left");
            effects.add(new Effect.Left(next.id()));
            return;
        }
        if (leaveRequested) {
            sendLeaveRequest();
        }
        replayFutureFrames();
        drainPending();
    }

    private void replayFutureFrames() {
        List<FutureFrame> frames = new ArrayList<>(futureFrames);
        futureFrames.clear();
        for (FutureFrame ff : frames) {
            if (isTerminated()) {
                return;
            }
            onFrame(ff.from(), ff.frame());
        }
    }

    private void state(State next, String why) {
        Invariants.check(state.canMoveTo(next), "illegal state transition", state + "->" + next, why);
        state = next;
        stateReason = why;
    }

    /** Why the process is in its current state, for traces and operators. */
    public String stateReason() {
        return stateReason;
    }

    // ---------------------------------------------------------------- transport

    private boolean acceptsReliableFrom(ProcessId from) {
        return view.contains(from);
    }

    private ReliableChannel channel(ProcessId peer) {
        return channels.computeIfAbsent(peer, p -> new ReliableChannel(self, p, config, nowTick, ++lastChannelEpoch));
    }

    private void transmitReliable(ProcessId to, Frame f) {
        flushStaged();
        effects.add(new Effect.Transmit(channel(to).send(f)));
    }

    private void transmitUnreliable(ProcessId to, Frame f) {
        flushStaged();
        ReliableChannel ch = channels.get(to);
        Packet p = ch != null ? ch.sendUnreliable(f) : new Packet(self, to, 0, 0, f);
        effects.add(new Effect.Transmit(p));
    }

    private void stageIn(long viewId) {
        if (stagedData.isEmpty() && stagedOrder.isEmpty()) {
            stagedViewId = viewId;
        }
        Invariants.check(stagedViewId == viewId, "staged frames of two views", stagedViewId, viewId);
    }

    /** Puts staged multicasts and ABCAST order on every peer's channel: one frame of each per peer. */
    private void flushStaged() {
        if (stagedData.isEmpty() && stagedOrder.isEmpty()) {
            return;
        }
        if (view != null && state != State.LEFT && state != State.EXCLUDED && stagedViewId == view.id()) {
            Frame data = stagedData.isEmpty() ? null
                    : stagedData.size() == 1 ? new Frame.Data(stagedData.get(0))
                    : new Frame.DataBatch(view.id(), stagedData);
            Frame order = stagedOrder.isEmpty() ? null : new Frame.OrderBatch(view.id(), stagedOrderFirst, stagedOrder);
            for (ProcessId member : view.members()) {
                if (!member.equals(self)) {
                    ReliableChannel ch = channel(member);
                    if (data != null) {
                        effects.add(new Effect.Transmit(ch.send(data)));
                    }
                    if (order != null) {
                        effects.add(new Effect.Transmit(ch.send(order)));
                    }
                }
            }
        }
        // Otherwise the view ended first, which takes a flush in which this process reported everything it
        // sent and ordered (its own messages and assigned ordinals are in its ViewState), so the staged
        // frames are no longer needed.
        stagedData.clear();
        stagedDataBytes = 0;
        stagedOrder.clear();
    }

    private void tickChannels() {
        flushStaged();
        for (ReliableChannel ch : channels.values()) {
            ch.onTick(nowTick, effects);
        }
    }
}
