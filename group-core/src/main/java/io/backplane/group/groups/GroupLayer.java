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

    private record DataRequest(long requestId, long groupId, Kind kind, byte[] payload) implements Request {
    }

    private record MembershipRequest(long requestId, long groupId, boolean join) implements Request {
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
        return enqueue(new MembershipRequest(++nextRequestId, groupId, true));
    }

    /** Asks to leave {@code groupId}; a {@link GroupEffect.ViewChange} without this process follows. */
    public long leave(long groupId) {
        return enqueue(new MembershipRequest(++nextRequestId, groupId, false));
    }

    /**
     * Multicasts to a group. A member sends in its current group view with the asked {@code kind}; a
     * client (non-member) always sends ABCAST, because only the total order gives its message one place
     * relative to the group's view changes at every member.
     */
    public long multicast(long groupId, Kind kind, byte[] payload) {
        return enqueue(new DataRequest(++nextRequestId, groupId, kind, payload.clone()));
    }

    /** Reports every later view of {@code groupId} to this process, member or not (a membership monitor). */
    public void monitor(long groupId) {
        monitored.add(groupId);
    }

    /** Leaves the LAN (and with it every group). */
    public void leaveLan() {
        engine.leave();
        pump();
    }

    private long enqueue(Request r) {
        if (engine.isTerminated()) {
            effects.add(new GroupEffect.Rejected(r.requestId(), "process is " + engine.state()));
        } else if (queue.size() >= config.requestQueueMax()) {
            effects.add(new GroupEffect.Rejected(r.requestId(), "group request queue full"));
        } else {
            queue.addLast(r);
            pump();
        }
        return r.requestId();
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

    /** Nothing queued, no group flush in progress, and the engine quiescent. */
    public boolean isQuiescent() {
        return directoryReady && queue.isEmpty() && controlQueue.isEmpty() && submitted.isEmpty() && groupsFlushing == 0
                && deferred.isEmpty() && engine.isQuiescent();
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
                effects.add(new GroupEffect.Rejected(sub.request().requestId(), r.reason()));
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
            submitted.put(engine.multicast(kind,
                    GroupCodec.encode(new GroupFrame.Data(lanView.id(), d.groupId(), groupViewId, d.payload()))), sub);
        } else {
            MembershipRequest m = (MembershipRequest) head;
            GroupFrame f = m.join() ? new GroupFrame.Join(m.groupId()) : new GroupFrame.Leave(m.groupId());
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
            onGroupData(d, data);
        } else if (f instanceof GroupFrame.Join j) {
            onChange(j.groupId(), new Group.Change(true, sender));
        } else if (f instanceof GroupFrame.Leave l) {
            onChange(l.groupId(), new Group.Change(false, sender));
        } else if (f instanceof GroupFrame.Flush fl) {
            onFlush(sender, fl);
        } else if (f instanceof GroupFrame.Snapshot s && s.lanViewId() == lanView.id()) {
            holders.addAll(lanView.members()); // every member of this LAN view now has the directory
        }
    }

    private void onGroupData(Effect.Deliver d, GroupFrame.Data data) {
        if (data.lanViewId() != d.viewId()) {
            return; // sent in a later LAN view than stamped: discarded everywhere, the sender sends it again
        }
        Group g = groups.get(data.groupId());
        ProcessId sender = d.id().sender();
        if (data.groupViewId() != 0 && !config.has(GroupPlantedBug.SKIP_GROUP_FLUSH)) {
            Invariants.check(g != null && g.viewId == data.groupViewId() && g.isMember(sender),
                    "a member message is delivered in the group view it was sent in", data.groupId(),
                    d.id() + " stamped " + data.groupViewId() + ", directory " + (g == null ? "none" : g.view()));
        } else if (data.groupViewId() == 0) {
            Invariants.check(d.kind() == Kind.ABCAST, "client messages are ABCAST", d.id());
        }
        if (g == null || g.members.length == 0) {
            return; // a client message to a group without members reaches nobody
        }
        g.delivered++;
        if (g.isMember(self)) {
            GroupEffect.Deliver out = new GroupEffect.Deliver(g.id, g.viewId, g.delivered, d.id(), d.kind(), data.body());
            if (config.has(GroupPlantedBug.CROSS_GROUP_DEFERRED) && d.kind() == Kind.CBCAST && g.id % 2 == 1) {
                deferred.add(new Deferred(out));
            } else {
                effects.add(out);
            }
        }
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
        g.apply(g.pending.pollFirst());
        g.viewId = ++lastGroupViewId;
        announce(g, before);
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
        boolean member = g.isMember(self);
        boolean was = false;
        for (ProcessId p : before) {
            was |= p.equals(self);
        }
        if (member || was || monitored.contains(g.id)) {
            flushDeferred(); // the planted deferral must not leak a delivery into the next view
            effects.add(new GroupEffect.ViewChange(g.view(), member));
        }
    }

    // ---------------------------------------------------------------- LAN views

    private void onLanView(View next) {
        View prev = lanView;
        lanView = next;
        if (prev == null) {
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
        if (g.pending != null) {
            for (Group.Change c : g.pending) {
                g.apply(c);
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
            announce(g, before);
        }
        return changed;
    }

    private GroupFrame.Snapshot snapshot() {
        List<GroupFrame.Entry> entries = new ArrayList<>(groups.size());
        for (Group g : groups.values()) {
            Invariants.check(!g.isFlushing(), "no group flush survives a LAN install", g.id);
            entries.add(new GroupFrame.Entry(g.id, g.viewId, g.delivered, List.of(g.members)));
        }
        return new GroupFrame.Snapshot(lanView.id(), lastGroupViewId, entries);
    }

    private void loadSnapshot(GroupFrame.Snapshot s) {
        for (GroupFrame.Entry e : s.groups()) {
            Group g = new Group(e.groupId());
            g.viewId = e.viewId();
            g.delivered = e.delivered();
            g.members = e.members().toArray(new ProcessId[0]);
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
