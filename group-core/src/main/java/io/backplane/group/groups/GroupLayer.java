package io.backplane.group.groups;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.Invariants;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.Packet;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Lightweight process groups over one LAN {@link Engine} (one causality domain), as a deterministic state
 * machine: events in ({@link #onPacket}, {@link #onTick}, {@link #join}, {@link #leave}, {@link #multicast}),
 * effects out ({@link #drainEffects}). Every group is multiplexed over the engine's causal and total order
 * (DESIGN.md §2, "one simple design for layers 5–6"):
 * <ul>
 * <li>Every process replicates the whole group directory (members, view id and message count of every
 *     group) by applying the same LAN deliveries, and delivers to the application only the messages of
 *     groups it belongs to.</li>
 * <li>A group message is a LAN multicast stamped with the LAN view and the group view it was sent in, so
 *     group CBCAST is LAN CBCAST (cross-group causality within the domain for free) and group ABCAST is the
 *     group's slice of the LAN total order.</li>
 * <li>A join or leave is an ABCAST. Each member of the group then stops sending to it and ABCASTs a group
 *     flush; the new group view is installed where the last flush falls in the total order. Every member
 *     message of the old view causally precedes its sender's flush, so it is delivered in the old view
 *     everywhere, and client (non-member) messages, always ABCAST, fall on one side of that point.</li>
 * <li>A LAN view change applies every pending join and leave and removes departed members from every
 *     group at the LAN install, which the engine's flush makes the same point at every survivor: no group
 *     protocol message at all, whatever the number of groups.</li>
 * <li>A process new to the LAN gets the directory as of the start of its first LAN view from the oldest
 *     member that has it, and replays the LAN deliveries it held meanwhile.</li>
 * </ul>
 */
public final class GroupLayer {
    private sealed interface Request {
        long requestId();
    }

    /** A multicast, or with {@code want} non-null a group RPC. */
    private record DataRequest(long requestId, long groupId, Kind kind, byte[] payload, Want want) implements Request {
    }

    private record ReplyRequest(long requestId, CallId callId, long callViewId, boolean nullReply, byte[] body)
            implements Request {
    }

    /**
     * A group RPC this process made and that has not completed. Once the call is delivered here (every
     * process delivers it, the caller included, in the same group view) its possible repliers are that
     * view's members; they only shrink, at this process's later views of the group.
     */
    private static final class PendingCall {
        final CallId id;
        final Want want;
        boolean delivered;
        long groupViewId;
        int wanted;
        List<ProcessId> possible;
        final List<ProcessId> counted = new ArrayList<>(2);
        final List<GroupEffect.Reply> replies = new ArrayList<>(2);
        final List<ProcessId> nulls = new ArrayList<>(0);

        PendingCall(CallId id, Want want) {
            this.id = id;
            this.want = want;
        }

        /** Distinct repliers still able to count: those counted plus possible ones not yet heard. */
        int reachable() {
            int n = counted.size();
            for (ProcessId p : possible) {
                if (!counted.contains(p)) {
                    n++;
                }
            }
            return n;
        }
    }

    private record MembershipRequest(long requestId, long groupId, boolean join, boolean withState)
            implements Request {
    }

    /**
     * This process's state transfer for one group, as joiner. {@code eligible}: the members that held the
     * state at the join view, oldest first (the donor is the first one left); only they are asked, because
     * a member that got the state later may itself be waiting on this process (see {@link #serve}).
     */
    private static final class Transfer {
        final long groupId;
        final long joinViewId;
        final long cutSeq;
        final List<ProcessId> eligible;
        final Sentinel sentinel = new Sentinel();
        long offset;
        ProcessId donor;

        Transfer(long groupId, long joinViewId, long cutSeq, List<ProcessId> eligible) {
            this.groupId = groupId;
            this.joinViewId = joinViewId;
            this.cutSeq = cutSeq;
            this.eligible = eligible;
        }
    }

    /** A transfer's place in the held stream: its join point, where its end is reported once complete. */
    private static final class Sentinel {
        GroupEffect.StateTransferred done;
    }

    private record StateRequestKey(ProcessId joiner, long groupId) {
    }

    private enum Ask {
        NEVER, IF_NEW_DONOR, ALWAYS
    }

    /**
     * A request handed to the engine: what it was stamped with, to detect a stale LAN view at send time,
     * and the ordering promised to the application (a client's multicast is promised ABCAST).
     */
    private record Submitted(Request request, long lanViewId, long groupViewId, Kind promised) {
    }

    private record Deferred(GroupEffect.Deliver deliver) {
    }

    private final Engine engine;
    private final ProcessId self;
    private final GroupLayerConfig config;
    private final List<GroupEffect> effects = new ArrayList<>();
    private final TreeMap<Long, Group> groups = new TreeMap<>();
    private final Set<Long> monitored = new TreeSet<>();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    /**
     * Group flushes and directory snapshots waiting for room in the engine's request queue. They are
     * never refused (a lost flush would leave its group between views until the next LAN view change);
     * at most one per group is outstanding plus one snapshot per LAN view, so the directory bounds it.
     */
    private final ArrayDeque<byte[]> controlQueue = new ArrayDeque<>();
    /** Engine request id of each queued-request multicast not yet reported sent. */
    private final Map<Long, Submitted> submitted = new HashMap<>();
    private final List<Effect.Deliver> backlog = new ArrayList<>();
    private final List<Deferred> deferred = new ArrayList<>();
    /** LAN members known to hold the directory; a new LAN member gets it from the oldest of them. */
    private final TreeSet<ProcessId> holders = new TreeSet<>();
    /** This process's group RPCs not yet completed, by request id. */
    private final Map<Long, PendingCall> calls = new HashMap<>();
    /**
     * For each group this process belongs to, the group view its current membership began in: a reply is
     * sent only by a member that has belonged since the call's delivery view (one that left and came back
     * is no longer a possible replier, at the caller or for the coordinator-cohort tool).
     */
    private final Map<Long, Long> memberSince = new HashMap<>();
    /** The delivered ones among them, by group, to settle at the group's view changes. */
    private final Map<Long, List<PendingCall>> callsByGroup = new HashMap<>();
    /** This process's state transfers in progress, as joiner, by group. */
    private final TreeMap<Long, Transfer> transfers = new TreeMap<>();
    /**
     * Effects for the application held back while a transfer runs: {@link GroupEffect} items and one
     * {@link Sentinel} per transfer at its join point. Everything before the first unfinished sentinel has
     * been released; the rest waits, in order, for that transfer (holding only the transferring group's
     * effects would let a later message of another group overtake one it causally follows).
     */
    private final ArrayList<Object> held = new ArrayList<>();
    /** Chunk requests that reached this donor before it installed the joiner's join view. */
    private final Map<StateRequestKey, GroupFrame.ChunkRequest> deferredRequests = new LinkedHashMap<>();

    private boolean directoryReady;
    /**
     * Group view ids come from one counter for the whole directory, not one per group, so a group that
     * empties (and is dropped to save memory) and is created again never reuses a view id. Every group
     * view is installed at a point of the total order or at a LAN install, so the counter advances in the
     * same steps at every process.
     */
    private long lastGroupViewId;
    private View lanView;
    private long nextRequestId;
    private int groupsFlushing;
    private long staleResends;
    private long groupFlushesCompleted;
    private long lanGroupUpdates;
    private long transfersCompleted;
    private long transfersLost;
    private long transfersAbandoned;
    private long donorSwitches;
    private long stateChunksServed;

    /**
     * @param engine the LAN engine of this process, just constructed (a founder's engine already holds its
     *               first view; a joiner's holds none): the layer owns it from now on
     */
    public GroupLayer(Engine engine, GroupLayerConfig config) {
        this.engine = engine;
        this.self = engine.self();
        this.config = config;
        if (engine.view() != null) {
            // Founders start together with an empty directory, so they all hold it already.
            directoryReady = true;
            holders.addAll(engine.view().members());
        }
        pump();
    }

    // ---------------------------------------------------------------- requests

    /** Asks to join {@code groupId}; a {@link GroupEffect.ViewChange} with this process in it follows. */
    public long join(long groupId) {
        return enqueue(new MembershipRequest(++nextRequestId, groupId, true, false));
    }

    /**
     * Asks to join {@code groupId} with state transfer. At the join view this process is given the group's
     * state as of its join point (the join view's {@code deliveredBefore} messages): {@link
     * GroupEffect.ApplyStateChunk}s pulled one bounded chunk at a time from the oldest member that held the
     * state at that point (resumed from the last chunk with the next one if it fails or leaves), then {@link
     * GroupEffect.StateTransferred}, then every later effect exactly once. Every effect for the application
     * after the join point, of every group, is held back until then. A process that founds the group gets
     * {@code StateTransferred(COMPLETE)} at once, with no chunk (the state is empty).
     */
    public long joinWithState(long groupId) {
        return enqueue(new MembershipRequest(++nextRequestId, groupId, true, true));
    }

    /**
     * The application's answer to {@link GroupEffect.WriteState}: the state's bytes from {@code asked.offset},
     * at most {@code asked.maxBytes}; fewer ends the state. May be called later (from disk, say); an answer
     * after this process or the joiner left the LAN view is dropped, and the joiner asks again.
     */
    public void stateChunk(GroupEffect.WriteState asked, byte[] bytes) {
        if (bytes.length > asked.maxBytes()) {
            throw new IllegalArgumentException("state chunk of " + bytes.length + " bytes, at most " + asked.maxBytes()
                    + " asked");
        }
        stateChunksServed++;
        engine.sendDirect(asked.joiner(), GroupCodec.encode(new GroupFrame.Chunk(asked.groupId(), asked.joinViewId(),
                asked.offset(), bytes.length < asked.maxBytes(), bytes)));
        pump();
    }

    /** Asks to leave {@code groupId}; a {@link GroupEffect.ViewChange} without this process follows. */
    public long leave(long groupId) {
        return enqueue(new MembershipRequest(++nextRequestId, groupId, false, false));
    }

    /**
     * Multicasts to a group. A member sends in its current group view with the asked {@code kind}; a
     * client (non-member) always sends ABCAST, because only the total order gives its message one place
     * relative to the group's view changes at every member.
     */
    public long multicast(long groupId, Kind kind, byte[] payload) {
        return enqueue(new DataRequest(++nextRequestId, groupId, kind, payload.clone(), null));
    }

    /**
     * A group RPC: multicasts {@code payload} to the group (as {@link #multicast} does: a client's call is
     * ABCAST) and collects replies from the members of the group view it is delivered in. One
     * {@link GroupEffect.RpcResult} follows, exactly once: when {@code want} distinct members have answered
     * (null replies count), at once after sending for {@link Want#NONE}, or an error as soon as too few of
     * the possible repliers remain in the group (decided at this process's views of the group, so a call
     * never hangs on a failed or departed member). Members receive it as {@link GroupEffect.Call}.
     */
    public CallId call(long groupId, Kind kind, byte[] payload, Want want) {
        long requestId = ++nextRequestId;
        CallId id = new CallId(self, groupId, requestId);
        calls.put(requestId, new PendingCall(id, want));
        enqueue(new DataRequest(requestId, groupId, kind, payload.clone(), want));
        return id;
    }

    /**
     * Answers a call delivered to this process as a member ({@link GroupEffect.Call}; {@code callViewId} is
     * its {@code groupViewId}). The reply is sent in this process's current view of the group, and not at
     * all if it has not been a member ever since that view (the caller no longer counts it as a possible
     * replier; it is {@link GroupEffect.Rejected}). The layer keeps no record of calls answered, so
     * answering twice sends twice; the caller counts each member once.
     */
    public long reply(CallId callId, long callViewId, byte[] value) {
        return enqueue(new ReplyRequest(++nextRequestId, callId, callViewId, false, value.clone()));
    }

    /** {@link #reply(CallId, long, byte[])} for a call as delivered. */
    public long reply(GroupEffect.Call call, byte[] value) {
        return reply(call.callId(), call.groupViewId(), value);
    }

    /** Answers a call with "nothing to say": counted by the caller, returned as no value. */
    public long nullReply(CallId callId, long callViewId) {
        return enqueue(new ReplyRequest(++nextRequestId, callId, callViewId, true, new byte[0]));
    }

    /** {@link #nullReply(CallId, long)} for a call as delivered. */
    public long nullReply(GroupEffect.Call call) {
        return nullReply(call.callId(), call.groupViewId());
    }

    /** Reports every later view of {@code groupId} to this process, member or not (a membership monitor). */
    public void monitor(long groupId) {
        monitored.add(groupId);
    }

    /**
     * Carries out what the engine did outside this layer's events (a host that calls {@link Engine#found}
     * from its own tick hook, say): call after touching the engine directly.
     */
    public void poll() {
        pump();
    }

    /** Leaves the LAN (and with it every group). */
    public void leaveLan() {
        engine.leave();
        pump();
    }

    private long enqueue(Request r) {
        if (engine.isTerminated()) {
            reject(r.requestId(), "process is " + engine.state());
        } else if (queue.size() >= config.requestQueueMax()) {
            reject(r.requestId(), "group request queue full");
        } else {
            queue.addLast(r);
            pump();
        }
        return r.requestId();
    }

    /** A refused call completes with an error instead of a {@link GroupEffect.Rejected}. */
    private void reject(long requestId, String reason) {
        PendingCall c = calls.get(requestId);
        if (c != null) {
            completeCall(c, "call refused: " + reason);
        } else {
            effects.add(new GroupEffect.Rejected(requestId, reason));
        }
    }

    // ---------------------------------------------------------------- events

    public void onPacket(Packet p) {
        engine.onPacket(p);
        pump();
    }

    public void onTick() {
        flushDeferred();
        engine.onTick();
        pump();
    }

    public List<GroupEffect> drainEffects() {
        List<GroupEffect> out = new ArrayList<>(effects);
        effects.clear();
        return out;
    }

    // ---------------------------------------------------------------- accessors

    public Engine engine() {
        return engine;
    }

    public ProcessId self() {
        return self;
    }

    /** The current view of a group as this process's directory has it, or null if the group has no members. */
    public GroupView groupView(long groupId) {
        Group g = groups.get(groupId);
        return g == null ? null : g.view();
    }

    public boolean isMember(long groupId) {
        Group g = groups.get(groupId);
        return g != null && g.isMember(self);
    }

    /** Groups with members (or a join in progress) in the directory. */
    public int groupCount() {
        return groups.size();
    }

    /** Every group's current view, in group id order (for checks and operators; allocates). */
    public List<GroupView> directory() {
        List<GroupView> out = new ArrayList<>(groups.size());
        for (Group g : groups.values()) {
            out.add(g.view());
        }
        return out;
    }

    public boolean isDirectoryReady() {
        return directoryReady;
    }

    /** Group RPCs this process made that have not completed. */
    public int pendingCalls() {
        return calls.size();
    }

    /** Nothing queued, no group flush in progress, and the engine quiescent. */
    public boolean isQuiescent() {
        return directoryReady && queue.isEmpty() && controlQueue.isEmpty() && submitted.isEmpty() && groupsFlushing == 0
                && deferred.isEmpty() && transfers.isEmpty() && held.isEmpty() && deferredRequests.isEmpty()
                && engine.isQuiescent();
    }

    /** Whether this process holds {@code groupId}'s state (a member that founded it or received it). */
    public boolean holdsState(long groupId) {
        Group g = groups.get(groupId);
        return g != null && g.holdsState(self);
    }

    /** State transfers of this process (as joiner) in progress. */
    public int transfersInProgress() {
        return transfers.size();
    }

    /** What this process's transfers wait for, for failing simulator runs and operators. */
    public String describeTransfers() {
        StringBuilder b = new StringBuilder("held=").append(held.size()).append(" deferredRequests=")
                .append(deferredRequests.size());
        for (Transfer t : transfers.values()) {
            b.append(" [g").append(t.groupId).append(" join ").append(t.joinViewId).append(" cut ").append(t.cutSeq)
                    .append(" offset ").append(t.offset).append(" donor ").append(t.donor).append(" eligible ")
                    .append(t.eligible).append(']');
        }
        return b.toString();
    }

    public long transfersCompleted() {
        return transfersCompleted;
    }

    public long transfersLost() {
        return transfersLost;
    }

    public long transfersAbandoned() {
        return transfersAbandoned;
    }

    /** Transfers that continued from their last chunk with another donor. */
    public long donorSwitches() {
        return donorSwitches;
    }

    /** Chunks this process's application wrote as donor. */
    public long stateChunksServed() {
        return stateChunksServed;
    }

    /** Group messages the engine sent in a later LAN view than stamped, which were therefore sent again. */
    public long staleResends() {
        return staleResends;
    }

    /** Group view changes made by a group flush (joins and leaves outside a LAN view change). */
    public long groupFlushesCompleted() {
        return groupFlushesCompleted;
    }

    /** Group view changes made at LAN view installs. */
    public long lanGroupUpdates() {
        return lanGroupUpdates;
    }

    // ---------------------------------------------------------------- the loop

    /** Carries engine effects up and queued requests down until neither makes progress. */
    private void pump() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Effect e : engine.drainEffects()) {
                progress = true;
                onEngineEffect(e);
            }
            if (submitControl()) {
                progress = true;
            }
            if (submitNext()) {
                progress = true;
            }
            if (!deferredRequests.isEmpty() && serveDeferred()) {
                progress = true;
            }
        }
        if (!calls.isEmpty() && engine.isTerminated()) {
            for (PendingCall c : new ArrayList<>(calls.values())) {
                completeCall(c, "process is " + engine.state());
            }
        }
    }

    private void onEngineEffect(Effect e) {
        if (e instanceof Effect.Deliver d) {
            onLanDeliver(d);
        } else if (e instanceof Effect.Sent s) {
            onSent(s);
        } else if (e instanceof Effect.Rejected r) {
            Submitted sub = submitted.remove(r.requestId());
            if (sub != null) {
                reject(sub.request().requestId(), r.reason());
            }
        } else if (e instanceof Effect.Received r) {
            if (directoryReady) {
                onDirect(r.from(), GroupCodec.decode(r.payload()));
            }
        } else if (e instanceof Effect.InstallView iv) {
            effects.add(new GroupEffect.Lan(e));
            onLanView(iv.view());
        } else {
            effects.add(new GroupEffect.Lan(e));
        }
    }

    /**
     * Hands the head of the queue to the engine if it can be stamped now. At most one queued request is
     * inside the engine unsent at a time, so if the engine sends it in a later LAN view (it was held by
     * flow control across a view change) nothing of ours follows it and sending it again keeps FIFO order;
     * and only when the engine's own bounded queue is empty, so the engine never refuses it for room.
     */
    private boolean submitNext() {
        Request head = queue.peekFirst();
        if (head == null || !submitted.isEmpty() || engine.pendingRequests() > 0
                || engine.state() != Engine.State.MEMBER || !directoryReady) {
            return false;
        }
        Submitted sub;
        if (head instanceof DataRequest d) {
            Group g = groups.get(d.groupId());
            boolean member = g != null && g.isMember(self);
            if (member && g.isFlushing()) {
                return false; // the group is between views: send in the next one
            }
            Kind promised = member ? d.kind() : Kind.ABCAST;
            Kind kind = promised;
            if (member && kind == Kind.ABCAST && config.has(GroupPlantedBug.GROUP_ABCAST_AS_CBCAST)) {
                kind = Kind.CBCAST;
            }
            long groupViewId = member ? g.viewId : 0;
            sub = new Submitted(d, lanView.id(), groupViewId, promised);
            queue.pollFirst();
            GroupFrame f = d.want() == null
                    ? new GroupFrame.Data(lanView.id(), d.groupId(), groupViewId, d.payload())
                    : new GroupFrame.Call(lanView.id(), d.groupId(), groupViewId, d.requestId(), d.payload());
            submitted.put(engine.multicast(kind, GroupCodec.encode(f)), sub);
        } else if (head instanceof ReplyRequest r) {
            Group g = groups.get(r.callId().groupId());
            queue.pollFirst();
            Long since = memberSince.get(r.callId().groupId());
            if (g == null || !g.isMember(self) || since == null || since > r.callViewId()) {
                effects.add(new GroupEffect.Rejected(r.requestId(), "not a member of g" + r.callId().groupId()
                        + " since the call's view " + r.callViewId()));
                return true;
            }
            if (g.isFlushing()) {
                queue.addFirst(r);
                return false; // sent in the next group view, if still a member
            }
            sub = new Submitted(r, lanView.id(), g.viewId, Kind.CBCAST);
            CallId c = r.callId();
            submitted.put(engine.multicast(Kind.CBCAST, GroupCodec.encode(new GroupFrame.Reply(lanView.id(),
                    c.groupId(), g.viewId, c.caller(), c.seq(), r.nullReply(), r.body()))), sub);
        } else {
            MembershipRequest m = (MembershipRequest) head;
            GroupFrame f = m.join() ? new GroupFrame.Join(m.groupId(), m.withState()) : new GroupFrame.Leave(m.groupId());
            sub = new Submitted(m, lanView.id(), 0, Kind.ABCAST);
            queue.pollFirst();
            submitted.put(engine.multicast(Kind.ABCAST, GroupCodec.encode(f)), sub);
        }
        return true;
    }

    /** Group-layer control messages bypass the request queue: a flush must not wait behind a blocked request. */
    private void sendControl(GroupFrame f) {
        controlQueue.addLast(GroupCodec.encode(f));
    }

    /**
     * Hands control messages to the engine only while its request queue is empty, so the engine never
     * refuses one for lack of room (its queue is bounded, and a burst of joins can owe many flushes).
     */
    private boolean submitControl() {
        boolean submitted = false;
        while (!controlQueue.isEmpty() && engine.state() == Engine.State.MEMBER && engine.pendingRequests() == 0) {
            engine.multicast(Kind.ABCAST, controlQueue.pollFirst());
            submitted = true;
        }
        return submitted;
    }

    private void onSent(Effect.Sent s) {
        Submitted sub = submitted.remove(s.requestId());
        if (sub == null) {
            return; // a control message
        }
        if (sub.request() instanceof DataRequest d) {
            if (s.viewId() != sub.lanViewId()) {
                // Every process discards it (its LAN view stamp is not the view it is delivered in).
                staleResends++;
                queue.addFirst(d);
                return;
            }
            effects.add(new GroupEffect.Sent(d.requestId(), d.groupId(), s.id(), sub.groupViewId(), sub.promised()));
            if (d.want() != null && d.want().mode() == Want.Mode.NONE) {
                PendingCall c = calls.get(d.requestId());
                if (c != null) {
                    completeCall(c, null);
                }
            }
        } else if (sub.request() instanceof ReplyRequest r && s.viewId() != sub.lanViewId()) {
            staleResends++;
            queue.addFirst(r);
        }
    }

    // ---------------------------------------------------------------- deliveries

    private void onLanDeliver(Effect.Deliver d) {
        GroupFrame f = GroupCodec.decode(d.payload());
        if (!directoryReady) {
            if (f instanceof GroupFrame.Snapshot s && s.lanViewId() == lanView.id()) {
                loadSnapshot(s);
            } else {
                Invariants.check(backlog.size() < config.directoryBacklogMax(), "directory backlog overflow", self);
                backlog.add(d);
            }
            return;
        }
        apply(d, f);
    }

    private void apply(Effect.Deliver d, GroupFrame f) {
        ProcessId sender = d.id().sender();
        if (f instanceof GroupFrame.Data data) {
            onGroupData(d, data.lanViewId(), data.groupId(), data.groupViewId(), -1, data.body());
        } else if (f instanceof GroupFrame.Call c) {
            onGroupData(d, c.lanViewId(), c.groupId(), c.groupViewId(), c.callSeq(), c.body());
        } else if (f instanceof GroupFrame.Reply r) {
            onReply(d, r);
        } else if (f instanceof GroupFrame.Join j) {
            onChange(j.groupId(), new Group.Change(true, sender, j.withState()));
        } else if (f instanceof GroupFrame.StateDone sd) {
            Group g = groups.get(sd.groupId());
            if (g != null && g.lackingSince(sender) == sd.joinViewId()) {
                g.setLacking(sender, -1); // a holder from here on, everywhere: a possible donor
            }
        } else if (f instanceof GroupFrame.Leave l) {
            onChange(l.groupId(), new Group.Change(false, sender));
        } else if (f instanceof GroupFrame.Flush fl) {
            onFlush(sender, fl);
        } else if (f instanceof GroupFrame.Snapshot s && s.lanViewId() == lanView.id()) {
            holders.addAll(lanView.members()); // every member of this LAN view now has the directory
        }
    }

    /** A group message or call ({@code callSeq >= 0}) delivered on the LAN. */
    private void onGroupData(Effect.Deliver d, long lanViewId, long groupId, long groupViewId, long callSeq,
                             byte[] body) {
        if (lanViewId != d.viewId()) {
            return; // sent in a later LAN view than stamped: discarded everywhere, the sender sends it again
        }
        Group g = groups.get(groupId);
        ProcessId sender = d.id().sender();
        if (groupViewId != 0 && !config.has(GroupPlantedBug.SKIP_GROUP_FLUSH)) {
            Invariants.check(g != null && g.viewId == groupViewId && g.isMember(sender),
                    "a member message is delivered in the group view it was sent in", groupId,
                    d.id() + " stamped " + groupViewId + ", directory " + (g == null ? "none" : g.view()));
        } else if (groupViewId == 0) {
            Invariants.check(d.kind() == Kind.ABCAST, "client messages are ABCAST", d.id());
        }
        PendingCall mine = callSeq >= 0 && sender.equals(self) ? calls.get(callSeq) : null;
        if (g == null || g.members.length == 0) {
            if (mine != null) {
                completeCall(mine, "g" + groupId + " has no members");
            }
            return; // a client message to a group without members reaches nobody
        }
        g.delivered++;
        if (mine != null) {
            callDelivered(mine, g);
        }
        if (g.isMember(self) && callSeq >= 0) {
            emit(new GroupEffect.Call(new CallId(sender, groupId, callSeq), g.viewId, g.delivered, d.id(),
                    d.kind(), body));
        } else if (g.isMember(self)) {
            GroupEffect.Deliver out = new GroupEffect.Deliver(g.id, g.viewId, g.delivered, d.id(), d.kind(), body);
            if (config.has(GroupPlantedBug.CROSS_GROUP_DEFERRED) && d.kind() == Kind.CBCAST && g.id % 2 == 1) {
                deferred.add(new Deferred(out));
            } else {
                emit(out);
            }
        }
    }

    // ---------------------------------------------------------------- group RPC

    /** The caller's own call was delivered: its possible repliers are the members of this group view. */
    private void callDelivered(PendingCall c, Group g) {
        c.delivered = true;
        c.groupViewId = g.viewId;
        c.possible = new ArrayList<>(List.of(g.members));
        c.wanted = c.want.count(g.members.length);
        if (c.wanted > g.members.length) {
            completeCall(c, "wanted " + c.wanted + " replies from a group view of " + g.members.length);
            return;
        }
        callsByGroup.computeIfAbsent(g.id, k -> new ArrayList<>(2)).add(c);
    }

    private void onReply(Effect.Deliver d, GroupFrame.Reply r) {
        if (r.lanViewId() != d.viewId()) {
            return; // stale LAN stamp: discarded everywhere, the replier sends it again
        }
        Group g = groups.get(r.groupId());
        ProcessId replier = d.id().sender();
        CallId id = new CallId(r.caller(), r.groupId(), r.callSeq());
        boolean caller = r.caller().equals(self);
        boolean involved = caller || (g != null && g.isMember(self));
        if (!involved) {
            return; // nobody here waits for it: one decode, nothing kept (the cost of multicast replies)
        }
        if (!config.has(GroupPlantedBug.SKIP_GROUP_FLUSH)) {
            Invariants.check(g != null && g.viewId == r.groupViewId() && g.isMember(replier),
                    "a reply is delivered in the group view it was sent in", r.groupId(),
                    d.id() + " stamped " + r.groupViewId() + ", directory " + (g == null ? "none" : g.view()));
        }
        emit(new GroupEffect.ReplySeen(id, replier, r.nullReply()));
        PendingCall c = caller ? calls.get(r.callSeq()) : null;
        if (c == null || !c.delivered || !c.possible.contains(replier)) {
            return; // completed already, or not one of the call's possible repliers (any more)
        }
        if (c.counted.contains(replier) && !config.has(GroupPlantedBug.RPC_DUPLICATE_REPLY_COUNTED)) {
            return; // each member counts once
        }
        c.counted.add(replier);
        if (r.nullReply()) {
            c.nulls.add(replier);
        } else {
            c.replies.add(new GroupEffect.Reply(replier, r.body()));
        }
        if (c.counted.size() >= c.wanted) {
            completeCall(c, null);
        }
    }

    /** At every view of a group here: possible repliers that left no longer count; fail calls that cannot complete. */
    private void settleCalls(Group g) {
        List<PendingCall> list = callsByGroup.get(g.id);
        if (list == null || config.has(GroupPlantedBug.RPC_NO_ERROR_ON_FAILURE)) {
            return;
        }
        for (PendingCall c : new ArrayList<>(list)) {
            c.possible.removeIf(p -> !g.isMember(p));
            if (c.reachable() < c.wanted) {
                completeCall(c, "only " + c.reachable() + " of the " + c.wanted
                        + " wanted repliers remain in g" + g.id);
            }
        }
    }

    private void completeCall(PendingCall c, String error) {
        calls.remove(c.id.seq());
        List<PendingCall> list = callsByGroup.get(c.id.groupId());
        if (list != null) {
            list.remove(c);
            if (list.isEmpty()) {
                callsByGroup.remove(c.id.groupId());
            }
        }
        emit(new GroupEffect.RpcResult(c.id, c.groupViewId, c.replies, c.nulls, error));
    }

    private void flushDeferred() {
        for (Deferred x : deferred) {
            effects.add(x.deliver());
        }
        deferred.clear();
    }

    // ---------------------------------------------------------------- group views

    private void onChange(long groupId, Group.Change c) {
        Group g = groups.get(groupId);
        if (g == null) {
            if (!c.join()) {
                return;
            }
            g = new Group(groupId);
            groups.put(groupId, g);
        }
        if (g.willBeMember(c.who()) == c.join()) {
            if (g.members.length == 0 && !g.isFlushing()) {
                groups.remove(groupId);
            }
            return; // already (or already about to be) what it asks for
        }
        g.addPending(c);
        if (g.pending.size() == 1) {
            groupsFlushing++;
            startFlush(g);
        }
    }

    private void startFlush(Group g) {
        g.flushedMask = 0;
        if (g.members.length == 0 || config.has(GroupPlantedBug.SKIP_GROUP_FLUSH)) {
            installNext(g);
            return;
        }
        Invariants.check(g.members.length <= config.groupMembersMax(), "group too large", g.id);
        if (g.isMember(self)) {
            sendControl(new GroupFrame.Flush(lanView.id(), g.id, g.viewId));
        }
    }

    private void onFlush(ProcessId sender, GroupFrame.Flush f) {
        if (f.lanViewId() != lanView.id()) {
            return; // sent late, after a LAN view change that already settled the group
        }
        Group g = groups.get(f.groupId());
        Invariants.check(g != null && g.isFlushing() && g.viewId == f.groupViewId(),
                "a group flush arrives while its group view is flushing", f.groupId(), f);
        int rank = g.rankOf(sender);
        Invariants.check(rank >= 0, "group flush from a member", sender);
        g.flushedMask |= 1L << rank;
        if (g.allFlushed()) {
            groupFlushesCompleted++;
            installNext(g);
        }
    }

    /** Applies the first pending change and installs the next view of the group. */
    private void installNext(Group g) {
        ProcessId[] before = g.members;
        Group.Change c = g.pending.pollFirst();
        g.apply(c);
        g.viewId = ++lastGroupViewId;
        if (c.join() && before.length > 0) {
            g.setLacking(c.who(), g.viewId); // it joined a group with members: their state is not its own yet
        }
        Boolean selfJoin = c.join() && c.who().equals(self) ? c.withState() : null;
        long selfLackingSince = settleLostState(g);
        announce(g, before);
        afterGroupView(g, selfJoin, selfLackingSince, Ask.IF_NEW_DONOR);
        if (!g.pending.isEmpty()) {
            startFlush(g);
            return;
        }
        g.pending = null;
        groupsFlushing--;
        if (g.members.length == 0) {
            groups.remove(g.id);
        }
    }

    private void announce(Group g, ProcessId[] before) {
        settleCalls(g);
        boolean member = g.isMember(self);
        if (!member) {
            memberSince.remove(g.id);
        } else if (!memberSince.containsKey(g.id)) {
            memberSince.put(g.id, g.viewId);
        }
        boolean was = false;
        for (ProcessId p : before) {
            was |= p.equals(self);
        }
        if (member || was || monitored.contains(g.id)) {
            flushDeferred(); // the planted deferral must not leak a delivery into the next view
            emit(new GroupEffect.ViewChange(g.view(), member));
        }
    }

    // ---------------------------------------------------------------- LAN views

    private void onLanView(View next) {
        View prev = lanView;
        lanView = next;
        if (prev == null) {
            if (!directoryReady && next.members().size() == 1 && next.contains(self)) {
                // It founded a LAN of its own after construction (discovery): nobody else has a directory.
                directoryReady = true;
                holders.add(self);
            }
            return; // founders hold the (empty) directory; a joiner waits for the snapshot
        }
        if (!directoryReady) {
            backlog.clear(); // the snapshot of this new view will cover all of it
            return;
        }
        holders.retainAll(next.members());
        Invariants.check(!holders.isEmpty(), "some member of the LAN view holds the directory", next);
        Iterator<Group> it = groups.values().iterator();
        while (it.hasNext()) {
            Group g = it.next();
            if (config.has(GroupPlantedBug.LAN_CHANGE_ONLY_OWN_GROUPS) && !g.isMember(self)) {
                continue;
            }
            if (settleAtLanView(g, next) && g.members.length == 0) {
                it.remove();
            }
        }
        groupsFlushing = 0;
        // Chunk requests and chunks of the old view died with its channels: every transfer asks again, from
        // its last chunk, the first member left that held the state at its join point.
        deferredRequests.keySet().removeIf(k -> !next.contains(k.joiner()));
        for (Transfer t : new ArrayList<>(transfers.values())) {
            reevaluate(t, Ask.ALWAYS);
        }
        for (ProcessId m : next.members()) {
            if (!holders.contains(m)) {
                if (holders.first().equals(self)) {
                    sendControl(snapshot());
                }
                break;
            }
        }
    }

    /**
     * At a LAN install every survivor has delivered the same LAN messages of the old view, so applying
     * every pending change and dropping departed members here gives the same group view everywhere.
     * Returns true if the group changed.
     */
    private boolean settleAtLanView(Group g, View next) {
        ProcessId[] before = g.members;
        boolean changed = false;
        Boolean selfJoin = null;
        if (g.pending != null) {
            for (Group.Change c : g.pending) {
                boolean hadMembers = g.members.length > 0;
                g.apply(c);
                if (c.join() && hadMembers) {
                    g.setLacking(c.who(), lastGroupViewId + 1); // the view id assigned below
                }
                if (c.who().equals(self)) {
                    selfJoin = c.join() ? c.withState() : null;
                }
            }
            g.pending = null;
            g.flushedMask = 0;
            changed = true;
        }
        for (ProcessId m : g.members) {
            if (!next.contains(m)) {
                g.apply(new Group.Change(false, m));
                changed = true;
            }
        }
        if (changed) {
            g.viewId = ++lastGroupViewId;
            lanGroupUpdates++;
            long selfLackingSince = settleLostState(g);
            announce(g, before);
            afterGroupView(g, selfJoin, selfLackingSince, Ask.NEVER); // asked once the LAN view is settled
        }
        return changed;
    }

    // ---------------------------------------------------------------- state transfer

    /** An effect for the application: held back while a transfer runs (see {@link #held}). */
    private void emit(GroupEffect e) {
        if (held.isEmpty()) {
            effects.add(e);
        } else {
            held.add(e);
        }
    }

    /** Releases the held effects up to the first transfer still running. */
    private void releaseHeld() {
        int k = 0;
        for (; k < held.size(); k++) {
            Object o = held.get(k);
            if (o instanceof Sentinel s) {
                if (s.done == null) {
                    break;
                }
                effects.add(s.done);
            } else {
                effects.add((GroupEffect) o);
            }
        }
        held.subList(0, k).clear();
    }

    /**
     * Directory part, the same at every process at every view of a group: if the group has members and none
     * holds its state, every holder left or failed while the others were still receiving it, so the state is
     * lost; every member takes the empty state here (all of them at this same view). Returns the view this
     * process's own lacking membership began in if it was lacking and the state was lost here, else -1.
     */
    private long settleLostState(Group g) {
        if (!g.stateLost()) {
            return -1;
        }
        long selfSince = g.lackingSince(self);
        g.lacking = null;
        return selfSince;
    }

    /**
     * This process's part, after its {@link GroupEffect.ViewChange} of a group view: a transfer whose
     * membership ended is abandoned; a lost state is reported; a join with state starts its transfer (or, for
     * the group's founder, completes at once); a running transfer whose donor left moves on to the next.
     *
     * @param selfJoin         whether this view's changes joined this process with state (null: it did not join)
     * @param selfLackingSince see {@link #settleLostState}
     */
    private void afterGroupView(Group g, Boolean selfJoin, long selfLackingSince, Ask ask) {
        Transfer running = transfers.get(g.id);
        if (running != null && (!g.isMember(self) || selfJoin != null)) {
            finishTransfer(running, GroupEffect.Outcome.ABANDONED); // its membership ended (or began again)
            running = null;
        }
        if (selfLackingSince >= 0) {
            transfersLost++;
            if (running != null) {
                finishTransfer(running, GroupEffect.Outcome.LOST);
            } else {
                emit(new GroupEffect.StateTransferred(g.id, selfLackingSince, g.delivered, GroupEffect.Outcome.LOST));
            }
            return;
        }
        if (Boolean.TRUE.equals(selfJoin) && g.isMember(self)) {
            if (g.holdsState(self)) {
                transfersCompleted++; // it founded the group: the state is empty
                emit(new GroupEffect.StateTransferred(g.id, g.viewId, g.delivered, GroupEffect.Outcome.COMPLETE));
            } else {
                startTransfer(g, ask);
            }
        } else if (running != null) {
            reevaluate(running, ask);
        }
    }

    private void startTransfer(Group g, Ask ask) {
        List<ProcessId> eligible = new ArrayList<>(g.members.length);
        for (ProcessId m : g.members) {
            if (!m.equals(self) && g.holdsState(m)) {
                eligible.add(m);
            }
        }
        Transfer t = new Transfer(g.id, g.viewId, g.delivered, eligible);
        held.add(t.sentinel); // right after the join view: everything later waits for the state
        transfers.put(g.id, t);
        reevaluate(t, ask == Ask.NEVER ? Ask.NEVER : Ask.ALWAYS);
    }

    /**
     * Chooses the donor again: the oldest member still holding the state that held it at the join point.
     * If none is left while other members (that joined later) hold it, this process cannot be given the
     * state as of its cut by anyone it may wait on: it abandons the transfer and leaves the group.
     */
    private void reevaluate(Transfer t, Ask ask) {
        Group g = groups.get(t.groupId);
        if (g == null || !g.isMember(self)) {
            finishTransfer(t, GroupEffect.Outcome.ABANDONED);
            return;
        }
        t.eligible.removeIf(p -> !g.holdsState(p));
        if (t.eligible.isEmpty()) {
            // Not a lost state (settleLostState handles that at the same view everywhere): members that
            // joined after this process's cut hold a newer state. Leaving and joining again gets it; the
            // application does that (the layer leaving behind its back would let a tool such as the lock,
            // still catching up on held effects, act in a group it has left).
            finishTransfer(t, GroupEffect.Outcome.NO_DONOR);
            return;
        }
        ProcessId donor = t.eligible.get(0);
        if (!donor.equals(t.donor)) {
            if (t.donor != null) {
                donorSwitches++;
            }
            t.donor = donor;
            if (ask == Ask.IF_NEW_DONOR) {
                ask = Ask.ALWAYS;
            }
        }
        if (ask == Ask.ALWAYS) {
            askChunk(t);
        }
    }

    private void askChunk(Transfer t) {
        engine.sendDirect(t.donor, GroupCodec.encode(new GroupFrame.ChunkRequest(t.groupId, t.joinViewId, t.cutSeq,
                t.offset)));
    }

    /**
     * Ends this process's transfer. The end is reported at the join point (the sentinel), so the application
     * learns whether it has the state before every later effect; a complete transfer also sends
     * {@code StateDone}, which makes this process a holder in every directory. A lost state is reported
     * where the loss was found instead: that group view is where every member restarts from the empty state.
     */
    private void finishTransfer(Transfer t, GroupEffect.Outcome outcome) {
        transfers.remove(t.groupId);
        GroupEffect.StateTransferred end = new GroupEffect.StateTransferred(t.groupId, t.joinViewId, t.cutSeq, outcome);
        if (outcome != GroupEffect.Outcome.LOST) {
            if (outcome == GroupEffect.Outcome.COMPLETE) {
                transfersCompleted++;
                sendControl(new GroupFrame.StateDone(t.groupId, t.joinViewId));
            } else {
                transfersAbandoned++;
            }
            t.sentinel.done = end;
        } else {
            for (int i = 0; i < held.size(); i++) {
                if (held.get(i) == t.sentinel) {
                    held.remove(i);
                    break;
                }
            }
            releaseHeld();
            emit(end);
        }
        releaseHeld();
    }

    private void onDirect(ProcessId from, GroupFrame f) {
        if (f instanceof GroupFrame.ChunkRequest r) {
            if (!serve(from, r)) {
                deferredRequests.put(new StateRequestKey(from, r.groupId()), r);
            }
        } else if (f instanceof GroupFrame.Chunk c) {
            onChunk(from, c);
        }
    }

    /**
     * Donor side. Returns false if this process has not installed the joiner's join view yet (the request
     * waits). The application is asked to write the state ({@link GroupEffect.WriteState}) in its effect
     * stream right after its view of the join, even if this process is itself holding effects back for a
     * transfer of its own: the application has then reached the cut, so it can write the state as of it.
     * A donor therefore waits only for its own transfers whose join points come earlier in the total order
     * than the cut asked for, which in turn wait only for earlier ones: no two transfers wait on each other
     * (the deadlock of holding everything back and answering only after catching up).
     */
    private boolean serve(ProcessId joiner, GroupFrame.ChunkRequest r) {
        Group g = groups.get(r.groupId());
        if (g != null && g.viewId < r.joinViewId()) {
            return false;
        }
        if (g == null || !g.holdsState(self)) {
            return true; // not (any more) a holder: the joiner moves on when it sees that
        }
        long cut = config.has(GroupPlantedBug.DONOR_WRITES_CURRENT_STATE) ? g.delivered : r.cutSeq();
        GroupEffect.WriteState w = new GroupEffect.WriteState(joiner, g.id, r.joinViewId(), cut, r.offset(),
                config.stateChunkBytesMax());
        for (int i = held.size() - 1; i >= 0; i--) {
            if (held.get(i) instanceof GroupEffect.ViewChange v && v.view().groupId() == g.id
                    && v.view().viewId() == r.joinViewId()) {
                int at = i + 1;
                while (at < held.size() && held.get(at) instanceof GroupEffect.StateTransferred t && t.groupId() == g.id) {
                    at++; // this process founded the group at that view: after the news that its state begins
                }
                held.add(at, w);
                return true;
            }
        }
        effects.add(w); // the join view was released already
        return true;
    }

    private boolean serveDeferred() {
        boolean served = false;
        for (Iterator<Map.Entry<StateRequestKey, GroupFrame.ChunkRequest>> it = deferredRequests.entrySet().iterator();
             it.hasNext(); ) {
            Map.Entry<StateRequestKey, GroupFrame.ChunkRequest> e = it.next();
            if (serve(e.getKey().joiner(), e.getValue())) {
                it.remove();
                served = true;
            }
        }
        return served;
    }

    private void onChunk(ProcessId from, GroupFrame.Chunk c) {
        Transfer t = transfers.get(c.groupId());
        if (t == null || t.joinViewId != c.joinViewId() || c.offset() != t.offset) {
            return; // late, from an earlier donor or transfer, or a repeat of a chunk already applied
        }
        effects.add(new GroupEffect.ApplyStateChunk(t.groupId, t.joinViewId, t.cutSeq, t.offset, c.bytes()));
        t.offset += c.bytes().length;
        if (c.last()) {
            finishTransfer(t, GroupEffect.Outcome.COMPLETE);
        } else {
            askChunk(t);
        }
    }

    private GroupFrame.Snapshot snapshot() {
        List<GroupFrame.Entry> entries = new ArrayList<>(groups.size());
        for (Group g : groups.values()) {
            Invariants.check(!g.isFlushing(), "no group flush survives a LAN install", g.id);
            entries.add(new GroupFrame.Entry(g.id, g.viewId, g.delivered, List.of(g.members), g.lackingList()));
        }
        return new GroupFrame.Snapshot(lanView.id(), lastGroupViewId, entries);
    }

    private void loadSnapshot(GroupFrame.Snapshot s) {
        for (GroupFrame.Entry e : s.groups()) {
            Group g = new Group(e.groupId());
            g.viewId = e.viewId();
            g.delivered = e.delivered();
            g.members = e.members().toArray(new ProcessId[0]);
            g.lacking = e.lacking().isEmpty() ? null : e.lacking().toArray(new GroupFrame.Lacking[0]);
            groups.put(g.id, g);
            if (monitored.contains(g.id)) {
                effects.add(new GroupEffect.ViewChange(g.view(), false));
            }
        }
        lastGroupViewId = s.lastGroupViewId();
        directoryReady = true;
        holders.addAll(lanView.members());
        List<Effect.Deliver> held = new ArrayList<>(backlog);
        backlog.clear();
        for (Effect.Deliver d : held) {
            apply(d, GroupCodec.decode(d.payload()));
        }
    }
}
