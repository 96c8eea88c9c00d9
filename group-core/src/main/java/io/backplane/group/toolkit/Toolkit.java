package io.backplane.group.toolkit;

import io.backplane.group.groups.CallId;
import io.backplane.group.groups.GroupEffect;
import io.backplane.group.groups.GroupLayer;
import io.backplane.group.groups.GroupPlantedBug;
import io.backplane.group.groups.GroupView;
import io.backplane.group.groups.Want;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * The ISIS tools over a {@link GroupLayer}, one per process, as a deterministic state machine: the host
 * passes it every {@link GroupEffect} the layer produces ({@link #onEffect}), in order, and drains
 * {@link ToolEffect}s. Tool messages travel as ordinary group messages whose payload starts with
 * {@link #TAG}; a group used with the toolkit should carry no application payload starting with that byte.
 * <ul>
 * <li><b>Coordinator-cohort</b> ({@link #request}): a group RPC wanting one reply. Every member takes the
 *     call's delivery view as the participant list; the first of them still in the group acts
 *     ({@link ToolEffect.Act}) and its reply, multicast on the LAN, reaches the caller and every member
 *     (virtual synchrony: delivered in the replier's group view everywhere, or nowhere). A cohort that
 *     sees the reply stops watching; at a view change without the coordinator and without its reply, the
 *     next participant acts. So exactly one reply reaches the caller while one participant survives.</li>
 * <li><b>Lock</b> ({@link #acquire}, {@link #release}): requests and releases are group ABCASTs; every
 *     member keeps the same FIFO queue per lock (head = holder) in delivery order; a view change removes
 *     departed members from every queue (release on failure).</li>
 * <li><b>Replicated map and configuration record</b> ({@link #put}, {@link #setConfig}): ABCAST updates
 *     applied in delivery order; the configuration record's version counts its updates.</li>
 * </ul>
 * The replicated part (map, configuration, lock queues) must reach members that join: this is not the
 * general state transfer (large application state, chunked), only the toolkit's own small state. At every
 * group view with members that lack it, the oldest member sends it in one ABCAST as of the view's start;
 * a joiner keeps the tool messages delivered in that view and replays them on top. Members that hold the
 * state are always a prefix of the join order (founders, then everyone at each state delivery), so if the
 * oldest member lacks it nobody has it: it then sends an empty state, which every member adopts at the
 * same point (the state is lost only when every member that had it left or failed).
 */
public final class Toolkit {
    /** First byte of every tool payload. */
    public static final byte TAG = (byte) 0xB7;

    private static final byte CC = 1;
    private static final byte LOCK_REQUEST = 2;
    private static final byte LOCK_RELEASE = 3;
    private static final byte PUT = 4;
    private static final byte CONFIG = 5;
    private static final byte STATE = 6;

    private record LockEntry(ProcessId holder, MessageId request) {
    }

    private record Buffered(ProcessId sender, MessageId id, byte[] payload) {
    }

    /** A coordinator-cohort request being watched at a member. */
    private static final class Watch {
        /** The call's delivery view members, less those that left since (a member that rejoins is out). */
        final List<ProcessId> participants;
        final long callViewId;
        final byte[] payload;
        boolean acted;

        Watch(List<ProcessId> participants, long callViewId, byte[] payload) {
            this.participants = new ArrayList<>(participants);
            this.callViewId = callViewId;
            this.payload = payload;
        }
    }

    /** The tools' state of one group this process belongs to. */
    private static final class ToolGroup {
        GroupView view;
        boolean synced;
        /** Members known to hold the state (only meaningful while synced). */
        final Set<ProcessId> syncedMembers = new HashSet<>();
        final TreeMap<String, byte[]> map = new TreeMap<>();
        long mapVersion;
        long configVersion;
        byte[] config = new byte[0];
        final TreeMap<Long, ArrayDeque<LockEntry>> locks = new TreeMap<>();
        final List<Buffered> buffer = new ArrayList<>();
        final Map<CallId, Watch> watches = new LinkedHashMap<>();
        final Set<Long> wanting = new HashSet<>();
        final Set<Long> held = new HashSet<>();
        /** Locks whose release this process multicast and has not yet delivered (it is still the queue head). */
        final Set<Long> releasing = new HashSet<>();
        /**
         * This process asked to leave: it asks for no lock and is granted none (a grant delivered late, in a
         * view the others have already left behind, would overlap the next holder's in real time).
         */
        boolean leaving;
    }

    private final GroupLayer layer;
    private final ProcessId self;
    private final Set<GroupPlantedBug> bugs;
    private final LongPredicate managed;
    private final Map<Long, ToolGroup> groups = new HashMap<>();
    private final List<ToolEffect> effects = new ArrayList<>();
    private long statesSent;

    /**
     * @param managed the groups whose tool state (map, configuration, locks, coordinator-cohort watches)
     *                this toolkit keeps; it must be the same at every process. Other groups cost nothing:
     *                no state is sent when members join them.
     */
    public Toolkit(GroupLayer layer, LongPredicate managed, Set<GroupPlantedBug> bugs) {
        this.layer = layer;
        this.self = layer.self();
        this.managed = managed;
        this.bugs = Set.copyOf(bugs);
    }

    // ---------------------------------------------------------------- requests

    /** A coordinator-cohort request to a group (member or client): one {@link GroupEffect.RpcResult} follows. */
    public CallId request(long groupId, byte[] payload) {
        return layer.call(groupId, Kind.CBCAST, tagged(CC, payload), Want.ONE);
    }

    /**
     * The coordinator's answer to an {@link ToolEffect.Act}. Dropped if this process no longer watches the
     * request (it left the group since, and a cohort has taken over); the layer also refuses it if this
     * process left and rejoined before the answer leaves.
     */
    public boolean answer(CallId callId, byte[] value) {
        ToolGroup tg = groups.get(callId.groupId());
        Watch w = tg == null ? null : tg.watches.get(callId);
        if (w == null || !w.acted) {
            return false;
        }
        layer.reply(callId, w.callViewId, value);
        return true;
    }

    /** Asks for a lock of a group this process belongs to; {@link ToolEffect.Granted} follows. False if not a member or already asked. */
    public boolean acquire(long groupId, long lock) {
        ToolGroup tg = groups.get(groupId);
        if (tg == null || tg.leaving || tg.wanting.contains(lock) || tg.held.contains(lock)) {
            return false;
        }
        tg.wanting.add(lock);
        if (bugs.contains(GroupPlantedBug.LOCK_GRANT_ON_REQUEST) && tg.synced && !tg.locks.containsKey(lock)) {
            tg.wanting.remove(lock);
            tg.held.add(lock);
            effects.add(new ToolEffect.Granted(groupId, lock, null));
        }
        layer.multicast(groupId, Kind.ABCAST, ByteBuffer.allocate(10).put(TAG).put(LOCK_REQUEST).putLong(lock).array());
        return true;
    }

    /** Releases a lock this process holds. False if it does not hold it. */
    public boolean release(long groupId, long lock) {
        ToolGroup tg = groups.get(groupId);
        if (tg == null || !tg.held.remove(lock)) {
            return false;
        }
        tg.releasing.add(lock);
        layer.multicast(groupId, Kind.ABCAST, ByteBuffer.allocate(10).put(TAG).put(LOCK_RELEASE).putLong(lock).array());
        return true;
    }

    /** Locks of a group this process holds now (a copy). */
    public List<Long> held(long groupId) {
        ToolGroup tg = groups.get(groupId);
        return tg == null ? List.of() : new ArrayList<>(new java.util.TreeSet<>(tg.held));
    }

    /** Lock requests of this process not granted yet, over all groups. */
    public int waiting() {
        int n = 0;
        for (ToolGroup tg : groups.values()) {
            n += tg.wanting.size();
        }
        return n;
    }

    public boolean holds(long groupId, long lock) {
        ToolGroup tg = groups.get(groupId);
        return tg != null && tg.held.contains(lock);
    }

    /** Whether this process asked for a lock and has not been granted it yet. */
    public boolean wants(long groupId, long lock) {
        ToolGroup tg = groups.get(groupId);
        return tg != null && tg.wanting.contains(lock);
    }

    /** Leaves a group, releasing the locks held in it first (FIFO: the releases precede the leave). */
    public void leave(long groupId) {
        ToolGroup tg = groups.get(groupId);
        if (tg != null) {
            for (Long lock : new ArrayList<>(tg.held)) {
                release(groupId, lock);
            }
            tg.wanting.clear();
            tg.leaving = true;
        }
        layer.leave(groupId);
    }

    /** Sets (or with a null value removes) a key of the group's replicated map, by ABCAST. */
    public void put(long groupId, String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int vlen = value == null ? 0 : value.length;
        ByteBuffer b = ByteBuffer.allocate(2 + 4 + k.length + 4 + vlen).put(TAG).put(PUT);
        b.putInt(k.length).put(k).putInt(value == null ? -1 : value.length);
        if (value != null) {
            b.put(value);
        }
        Kind kind = bugs.contains(GroupPlantedBug.MAP_UPDATE_AS_CBCAST) ? Kind.CBCAST : Kind.ABCAST;
        layer.multicast(groupId, kind, b.array());
    }

    /** Replaces the group's replicated configuration record, by ABCAST. */
    public void setConfig(long groupId, byte[] value) {
        layer.multicast(groupId, Kind.ABCAST, tagged(CONFIG, value));
    }

    /** The group's replicated map here (a copy), or null if this process is not a synced member. */
    public Map<String, byte[]> map(long groupId) {
        ToolGroup tg = groups.get(groupId);
        return tg == null || !tg.synced ? null : new TreeMap<>(tg.map);
    }

    public boolean isSynced(long groupId) {
        ToolGroup tg = groups.get(groupId);
        return tg != null && tg.synced;
    }

    public long configVersion(long groupId) {
        ToolGroup tg = groups.get(groupId);
        return tg == null ? 0 : tg.configVersion;
    }

    /** A digest of the group's replicated state here (map, config, lock queues), for checks. */
    public long stateHash(long groupId) {
        ToolGroup tg = groups.get(groupId);
        return tg == null ? 0 : hash(encodeState(tg, 0));
    }

    /** Coordinator-cohort requests of groups this process watches. */
    public int watching() {
        int n = 0;
        for (ToolGroup tg : groups.values()) {
            n += tg.watches.size();
        }
        return n;
    }

    /** Group states this process sent to members that lacked it. */
    public long statesSent() {
        return statesSent;
    }

    public List<ToolEffect> drainEffects() {
        List<ToolEffect> out = new ArrayList<>(effects);
        effects.clear();
        return out;
    }

    // ---------------------------------------------------------------- events

    /**
     * Feeds one effect of the layer, in the order drained. Returns true if it was the toolkit's own (a tool
     * message or a coordinator-cohort call), which the application should not see.
     */
    public boolean onEffect(GroupEffect e) {
        if (e instanceof GroupEffect.ViewChange v) {
            if (managed.test(v.view().groupId())) {
                onView(v.view(), v.member());
            }
            return false;
        } else if (e instanceof GroupEffect.Deliver d && isTool(d.payload())) {
            onToolMessage(d.groupId(), d.groupViewId(), d.id(), d.payload());
            return true;
        } else if (e instanceof GroupEffect.Call c && isTool(c.payload())) {
            onCcCall(c);
            return true;
        } else if (e instanceof GroupEffect.ReplySeen r) {
            ToolGroup tg = groups.get(r.callId().groupId());
            if (tg != null && !r.nullReply() && !bugs.contains(GroupPlantedBug.COHORT_TAKEOVER_UNCHECKED)) {
                tg.watches.remove(r.callId()); // the reply reached the caller (or nobody): done
            }
        }
        return false;
    }

    private static boolean isTool(byte[] payload) {
        return payload.length >= 2 && payload[0] == TAG;
    }

    private void onView(GroupView view, boolean member) {
        ToolGroup tg = groups.get(view.groupId());
        if (!member) {
            groups.remove(view.groupId());
            return;
        }
        if (tg == null) {
            tg = new ToolGroup();
            tg.view = view;
            groups.put(view.groupId(), tg);
            if (view.members().size() == 1) {
                // the group starts here (or starts again: everyone else left): its state is empty
                tg.synced = true;
                tg.syncedMembers.add(self);
            }
        } else {
            tg.view = view;
            tg.buffer.clear(); // a state sent in this view will be as of its start
            tg.syncedMembers.retainAll(view.members());
            if (!bugs.contains(GroupPlantedBug.LOCK_NO_RELEASE_ON_FAILURE)) {
                for (Map.Entry<Long, ArrayDeque<LockEntry>> l : new ArrayList<>(tg.locks.entrySet())) {
                    l.getValue().removeIf(x -> !view.contains(x.holder()));
                    afterQueueChange(tg, l.getKey());
                }
            }
            for (Map.Entry<CallId, Watch> w : new ArrayList<>(tg.watches.entrySet())) {
                coordinate(tg, w.getKey(), w.getValue());
            }
        }
        if (view.members().get(0).equals(self)) {
            boolean someLack = !tg.synced;
            for (ProcessId p : view.members()) {
                someLack |= !tg.syncedMembers.contains(p);
            }
            if (someLack) {
                statesSent++;
                layer.multicast(view.groupId(), Kind.ABCAST, encodeState(tg, view.viewId()));
            }
        }
    }

    private void onCcCall(GroupEffect.Call c) {
        ToolGroup tg = groups.get(c.callId().groupId());
        if (tg == null) {
            return;
        }
        Watch w = new Watch(tg.view.members(), c.groupViewId(), Arrays.copyOfRange(c.payload(), 2, c.payload().length));
        tg.watches.put(c.callId(), w);
        coordinate(tg, c.callId(), w);
    }

    /** The first participant still in the group acts; when none is left, nobody will reply (the call fails). */
    private void coordinate(ToolGroup tg, CallId id, Watch w) {
        w.participants.removeIf(p -> !tg.view.contains(p));
        if (w.participants.isEmpty()) {
            tg.watches.remove(id);
            return;
        }
        if (w.participants.get(0).equals(self) && !w.acted) {
            w.acted = true;
            effects.add(new ToolEffect.Act(id, w.payload));
        }
    }

    private void onToolMessage(long groupId, long groupViewId, MessageId id, byte[] payload) {
        ToolGroup tg = groups.get(groupId);
        if (tg == null) {
            return;
        }
        if (payload[1] == STATE) {
            ByteBuffer b = ByteBuffer.wrap(payload, 2, payload.length - 2);
            if (b.getLong() != groupViewId) {
                return; // sent in a later view than meant: the next view's oldest member sends again
            }
            if (!tg.synced) {
                decodeState(tg, b);
                tg.synced = true;
                List<Buffered> held = new ArrayList<>(tg.buffer);
                tg.buffer.clear();
                for (Buffered x : held) {
                    apply(tg, groupId, groupViewId, x.sender(), x.id(), x.payload());
                }
                effects.add(new ToolEffect.Synced(groupId, groupViewId));
                for (Long lock : tg.wanting) {
                    if (!queued(tg, lock, self)) {
                        // asked before this state's view: the request may be lost with the old views
                        layer.multicast(groupId, Kind.ABCAST,
                                ByteBuffer.allocate(10).put(TAG).put(LOCK_REQUEST).putLong(lock).array());
                    }
                }
                for (Long lock : new ArrayList<>(tg.locks.keySet())) {
                    afterQueueChange(tg, lock);
                }
            }
            tg.syncedMembers.addAll(tg.view.members());
            return;
        }
        if (!tg.synced) {
            tg.buffer.add(new Buffered(id.sender(), id, payload));
            return;
        }
        apply(tg, groupId, groupViewId, id.sender(), id, payload);
    }

    private static boolean queued(ToolGroup tg, long lock, ProcessId p) {
        ArrayDeque<LockEntry> q = tg.locks.get(lock);
        if (q != null) {
            for (LockEntry e : q) {
                if (e.holder().equals(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void apply(ToolGroup tg, long groupId, long groupViewId, ProcessId sender, MessageId id, byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload, 2, payload.length - 2);
        switch (payload[1]) {
            case LOCK_REQUEST -> {
                long lock = b.getLong();
                if (!tg.view.contains(sender) || queued(tg, lock, sender)) {
                    return; // a client cannot lock; a repeated request keeps its place
                }
                tg.locks.computeIfAbsent(lock, k -> new ArrayDeque<>()).addLast(new LockEntry(sender, id));
                afterQueueChange(tg, lock);
            }
            case LOCK_RELEASE -> {
                long lock = b.getLong();
                ArrayDeque<LockEntry> q = tg.locks.get(lock);
                if (sender.equals(self)) {
                    tg.releasing.remove(lock);
                }
                if (q != null && !q.isEmpty() && q.peekFirst().holder().equals(sender)) {
                    q.pollFirst();
                    if (bugs.contains(GroupPlantedBug.LOCK_GRANT_NEWEST) && q.size() > 1) {
                        q.addFirst(q.pollLast());
                    }
                    afterQueueChange(tg, lock);
                }
            }
            case PUT -> {
                byte[] k = new byte[b.getInt()];
                b.get(k);
                int vlen = b.getInt();
                String key = new String(k, StandardCharsets.UTF_8);
                if (vlen < 0) {
                    tg.map.remove(key);
                } else {
                    byte[] v = new byte[vlen];
                    b.get(v);
                    tg.map.put(key, v);
                }
                tg.mapVersion++;
            }
            case CONFIG -> {
                byte[] v = new byte[b.remaining()];
                b.get(v);
                tg.configVersion++;
                tg.config = v;
                effects.add(new ToolEffect.ConfigChanged(groupId, groupViewId, tg.configVersion, v));
            }
            default -> throw new IllegalArgumentException("unknown tool message " + payload[1]);
        }
    }

    /** Grants the head of a lock's queue if it is this process and it does not hold the lock already. */
    private void afterQueueChange(ToolGroup tg, long lock) {
        ArrayDeque<LockEntry> q = tg.locks.get(lock);
        if (q == null) {
            return;
        }
        if (q.isEmpty()) {
            tg.locks.remove(lock);
            return;
        }
        if (!tg.synced) {
            return;
        }
        LockEntry head = q.peekFirst();
        if (head.holder().equals(self) && !tg.held.contains(lock) && !tg.releasing.contains(lock)) {
            if (!tg.wanting.remove(lock)) {
                // a request sent again after a state loss that was also delivered: give it straight back
                tg.releasing.add(lock);
                layer.multicast(tg.view.groupId(), Kind.ABCAST,
                        ByteBuffer.allocate(10).put(TAG).put(LOCK_RELEASE).putLong(lock).array());
                return;
            }
            tg.held.add(lock);
            effects.add(new ToolEffect.Granted(tg.view.groupId(), lock, head.request()));
        }
    }

    // ---------------------------------------------------------------- the state of one group

    private static byte[] tagged(byte op, byte[] body) {
        return ByteBuffer.allocate(2 + body.length).put(TAG).put(op).put(body).array();
    }

    private static byte[] encodeState(ToolGroup tg, long asOfViewId) {
        int size = 2 + 8 + 8 + 8 + 4 + tg.config.length + 4 + 4;
        for (Map.Entry<String, byte[]> e : tg.map.entrySet()) {
            size += 4 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + e.getValue().length;
        }
        for (ArrayDeque<LockEntry> q : tg.locks.values()) {
            size += 8 + 4 + q.size() * 24;
        }
        ByteBuffer b = ByteBuffer.allocate(size).put(TAG).put(STATE);
        b.putLong(asOfViewId).putLong(tg.mapVersion).putLong(tg.configVersion);
        b.putInt(tg.config.length).put(tg.config);
        b.putInt(tg.map.size());
        for (Map.Entry<String, byte[]> e : tg.map.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            b.putInt(k.length).put(k).putInt(e.getValue().length).put(e.getValue());
        }
        b.putInt(tg.locks.size());
        for (Map.Entry<Long, ArrayDeque<LockEntry>> l : tg.locks.entrySet()) {
            b.putLong(l.getKey()).putInt(l.getValue().size());
            for (LockEntry e : l.getValue()) {
                b.putInt(e.holder().node()).putInt(e.holder().incarnation());
                b.putInt(e.request().sender().node()).putInt(e.request().sender().incarnation()).putLong(e.request().seq());
            }
        }
        return b.array();
    }

    private static void decodeState(ToolGroup tg, ByteBuffer b) {
        tg.mapVersion = b.getLong();
        tg.configVersion = b.getLong();
        tg.config = new byte[b.getInt()];
        b.get(tg.config);
        tg.map.clear();
        int n = b.getInt();
        for (int i = 0; i < n; i++) {
            byte[] k = new byte[b.getInt()];
            b.get(k);
            byte[] v = new byte[b.getInt()];
            b.get(v);
            tg.map.put(new String(k, StandardCharsets.UTF_8), v);
        }
        tg.locks.clear();
        int locks = b.getInt();
        for (int i = 0; i < locks; i++) {
            long lock = b.getLong();
            int m = b.getInt();
            ArrayDeque<LockEntry> q = new ArrayDeque<>(m);
            for (int j = 0; j < m; j++) {
                ProcessId holder = new ProcessId(b.getInt(), b.getInt());
                MessageId req = new MessageId(new ProcessId(b.getInt(), b.getInt()), b.getLong());
                q.addLast(new LockEntry(holder, req));
            }
            tg.locks.put(lock, q);
        }
    }

    private static long hash(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte x : bytes) {
            h ^= x & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
