package io.backplane.group.sim;

import io.backplane.group.groups.GroupView;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lightweight-group properties (issue 4, DESIGN.md §2) over a {@link GroupTraceEvent} trace: group view
 * agreement, virtual synchrony and sending-view delivery per group, integrity, per-group total order, and
 * causal order across every group of the domain with happens-before recomputed from sends and deliveries
 * (the engines' vector clocks are not trusted).
 */
public final class GroupPropertyChecker {
    private static final int REPORT_MAX = 5;

    private record GroupKey(long groupId, long viewId) {
    }

    private record Interval(long groupId, long viewId, long nextViewId) {
    }

    private record ProcessGroup(ProcessId p, long groupId) {
    }

    private final List<Violation> out = new ArrayList<>();
    private final Map<Property, Integer> reported = new HashMap<>();

    private GroupPropertyChecker() {
    }

    public static List<Violation> check(List<GroupTraceEvent> trace) {
        GroupPropertyChecker c = new GroupPropertyChecker();
        Map<MessageId, GroupTraceEvent> sends = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            if (e.type() == GroupTraceEvent.Type.SEND) {
                sends.put(e.message(), e);
            }
        }
        Set<GroupTraceEvent> unconfirmed = unconfirmed(trace);
        c.views(trace, unconfirmed);
        c.deliveries(trace, sends, unconfirmed);
        c.totalOrder(trace, sends, unconfirmed);
        c.causalOrder(trace);
        c.stateTransfer(trace, unconfirmed);
        ToolChecks.check(trace, unconfirmed, c::violate);
        return c.out;
    }

    /**
     * The group views and deliveries a process produced in the last LAN view of an incarnation that then stopped
     * (crashed, was excluded or left). The engine's delivery is not uniform: a process that is about to
     * fail, for example an ABCAST sequencer cut off in a minority, may deliver messages of its last view
     * that the survivors never deliver, and since group views are installed at points of that stream its
     * last group views may be ones the primary partition never installs, and its last ABCASTs may be in
     * an order the survivors' flush overrides. They are held to the same rule as the engine's own
     * deliveries (DESIGN.md §2: agreement "while both are in the primary partition"; PropertyChecker
     * checks total order over the processes that stay into the next view).
     */
    private static Set<GroupTraceEvent> unconfirmed(List<GroupTraceEvent> trace) {
        Map<ProcessId, List<GroupTraceEvent>> sinceLanView = new HashMap<>();
        Set<GroupTraceEvent> out = Collections.newSetFromMap(new IdentityHashMap<>());
        for (GroupTraceEvent e : trace) {
            if (e.process() == null) {
                continue;
            }
            switch (e.type()) {
                case LAN_VIEW -> sinceLanView.put(e.process(), new ArrayList<>());
                case VIEW, DELIVER, GRANT, STATE, CONFIG, REPLY_SEEN, XFER, RESULT -> sinceLanView.computeIfAbsent(e.process(), k -> new ArrayList<>()).add(e);
                case STOP -> {
                    List<GroupTraceEvent> last = sinceLanView.remove(e.process());
                    if (last != null) {
                        out.addAll(last);
                    }
                }
                default -> {
                }
            }
        }
        return out;
    }

    private void violate(Property p, String detail) {
        int n = reported.merge(p, 1, Integer::sum);
        if (n <= REPORT_MAX) {
            out.add(new Violation(p, detail));
        }
    }

    /** Agreement, monotonicity and self-inclusion of group views. */
    private void views(List<GroupTraceEvent> trace, Set<GroupTraceEvent> unconfirmed) {
        Map<GroupKey, GroupView> byKey = new HashMap<>();
        Map<ProcessGroup, Long> last = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            if (e.type() != GroupTraceEvent.Type.VIEW || unconfirmed.contains(e)) {
                continue;
            }
            GroupView v = e.view();
            GroupView seen = byKey.putIfAbsent(new GroupKey(v.groupId(), v.viewId()), v);
            if (seen != null && (!seen.members().equals(v.members()) || seen.deliveredBefore() != v.deliveredBefore())) {
                violate(Property.GROUP_VIEW_AGREEMENT, e.process() + " installed " + v + " but another process " + seen);
            }
            Long prev = last.put(new ProcessGroup(e.process(), v.groupId()), v.viewId());
            if (prev != null && prev >= v.viewId()) {
                violate(Property.GROUP_VIEW_AGREEMENT, e.process() + " went from view " + prev + " to " + v);
            }
            if (e.member() != v.contains(e.process())) {
                violate(Property.GROUP_VIEW_AGREEMENT, e.process() + " told member=" + e.member() + " for " + v);
            }
        }
    }

    /** Integrity, sending-view delivery and view synchrony per group. */
    private void deliveries(List<GroupTraceEvent> trace, Map<MessageId, GroupTraceEvent> sends,
                            Set<GroupTraceEvent> unconfirmed) {
        Map<ProcessGroup, Long> memberView = new HashMap<>();
        Map<ProcessGroup, Set<MessageId>> inView = new HashMap<>();
        Map<Interval, Map<ProcessId, Set<MessageId>>> intervals = new HashMap<>();
        Set<String> delivered = new HashSet<>();
        for (GroupTraceEvent e : trace) {
            ProcessGroup pg = new ProcessGroup(e.process(), e.groupId());
            switch (e.type()) {
                case VIEW -> {
                    Long current = memberView.remove(pg);
                    Set<MessageId> set = inView.remove(pg);
                    if (current != null && !unconfirmed.contains(e)) {
                        intervals.computeIfAbsent(new Interval(e.groupId(), current, e.view().viewId()),
                                k -> new HashMap<>()).put(e.process(), set);
                    }
                    if (e.member()) {
                        memberView.put(pg, e.view().viewId());
                        inView.put(pg, new HashSet<>());
                    }
                }
                case DELIVER -> {
                    GroupTraceEvent send = sends.get(e.message());
                    if (send == null || send.groupId() != e.groupId()) {
                        violate(Property.GROUP_INTEGRITY, e.process() + " delivered " + e.message() + " to g"
                                + e.groupId() + " but it was not sent to that group");
                    }
                    if (!delivered.add(e.process() + "/" + e.message())) {
                        violate(Property.GROUP_INTEGRITY, e.process() + " delivered " + e.message() + " twice");
                    }
                    Long current = memberView.get(pg);
                    if (current == null || current != e.groupViewId()) {
                        violate(Property.GROUP_SENDING_VIEW, e.process() + " delivered " + e.message() + " in g"
                                + e.groupId() + ".v" + e.groupViewId() + " while its member view is " + current);
                    } else {
                        inView.get(pg).add(e.message());
                    }
                    if (send != null && send.groupViewId() != 0 && send.groupViewId() != e.groupViewId()) {
                        violate(Property.GROUP_SENDING_VIEW, e.process() + " delivered " + e.message()
                                + " in view " + e.groupViewId() + ", sent in " + send.groupViewId());
                    }
                }
                case STOP -> {
                    memberView.keySet().removeIf(k -> k.p().equals(e.process()));
                    inView.keySet().removeIf(k -> k.p().equals(e.process()));
                }
                default -> {
                }
            }
        }
        for (Map.Entry<Interval, Map<ProcessId, Set<MessageId>>> iv : intervals.entrySet()) {
            Set<MessageId> first = null;
            ProcessId firstP = null;
            for (Map.Entry<ProcessId, Set<MessageId>> pe : iv.getValue().entrySet()) {
                if (first == null) {
                    first = pe.getValue();
                    firstP = pe.getKey();
                } else if (!first.equals(pe.getValue())) {
                    Set<MessageId> onlyFirst = new HashSet<>(first);
                    onlyFirst.removeAll(pe.getValue());
                    Set<MessageId> onlyOther = new HashSet<>(pe.getValue());
                    onlyOther.removeAll(first);
                    violate(Property.GROUP_VIEW_SYNCHRONY, "g" + iv.getKey().groupId() + " view "
                            + iv.getKey().viewId() + "->" + iv.getKey().nextViewId() + ": " + firstP + " alone delivered "
                            + onlyFirst + ", " + pe.getKey() + " alone delivered " + onlyOther);
                }
            }
        }
    }

    /**
     * Every two members deliver the ABCASTs of a group they both deliver in the same relative order. A
     * message counts as ABCAST if its send promised ABCAST (what it travelled as is the layer's business).
     */
    private void totalOrder(List<GroupTraceEvent> trace, Map<MessageId, GroupTraceEvent> sends,
                            Set<GroupTraceEvent> unconfirmed) {
        Map<Long, Map<ProcessId, List<MessageId>>> byGroup = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            GroupTraceEvent send = e.type() == GroupTraceEvent.Type.DELIVER ? sends.get(e.message()) : null;
            // the order promised at the send, not the kind the message travelled as
            if (send != null && send.kind() == Kind.ABCAST && !unconfirmed.contains(e)) {
                byGroup.computeIfAbsent(e.groupId(), k -> new HashMap<>())
                        .computeIfAbsent(e.process(), k -> new ArrayList<>()).add(e.message());
            }
        }
        for (Map.Entry<Long, Map<ProcessId, List<MessageId>>> g : byGroup.entrySet()) {
            List<Map.Entry<ProcessId, List<MessageId>>> ps = new ArrayList<>(g.getValue().entrySet());
            for (int i = 0; i < ps.size(); i++) {
                Map<MessageId, Integer> pos = new HashMap<>();
                List<MessageId> a = ps.get(i).getValue();
                for (int k = 0; k < a.size(); k++) {
                    pos.put(a.get(k), k);
                }
                for (int j = i + 1; j < ps.size(); j++) {
                    int lastPos = -1;
                    MessageId lastId = null;
                    for (MessageId m : ps.get(j).getValue()) {
                        Integer p = pos.get(m);
                        if (p == null) {
                            continue;
                        }
                        if (p < lastPos) {
                            violate(Property.GROUP_TOTAL_ORDER, "g" + g.getKey() + ": " + ps.get(j).getKey()
                                    + " delivered " + lastId + " before " + m + ", " + ps.get(i).getKey()
                                    + " the other way round");
                            break;
                        }
                        lastPos = p;
                        lastId = m;
                    }
                }
            }
        }
    }

    /**
     * Causal order across groups: happens-before is recomputed with vector clocks of the checker's own
     * (one entry per process incarnation, counting its sends), built from the trace's sends and
     * deliveries. If m1 happens before m2 and a process delivers both, it delivers m1 first.
     */
    private void causalOrder(List<GroupTraceEvent> trace) {
        Map<ProcessId, Map<ProcessId, Integer>> clock = new HashMap<>();
        Map<MessageId, Map<ProcessId, Integer>> past = new HashMap<>();
        Map<MessageId, Integer> sendIndex = new HashMap<>();
        Map<ProcessId, List<MessageId>> deliveredBy = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            if (e.type() == GroupTraceEvent.Type.SEND) {
                Map<ProcessId, Integer> c = clock.computeIfAbsent(e.process(), k -> new HashMap<>());
                int idx = c.merge(e.process(), 1, Integer::sum);
                past.put(e.message(), new HashMap<>(c));
                sendIndex.put(e.message(), idx);
            } else if (e.type() == GroupTraceEvent.Type.DELIVER) {
                Map<ProcessId, Integer> c = clock.computeIfAbsent(e.process(), k -> new HashMap<>());
                Map<ProcessId, Integer> mp = past.get(e.message());
                if (mp != null) {
                    mp.forEach((k, v) -> c.merge(k, v, Math::max));
                }
                deliveredBy.computeIfAbsent(e.process(), k -> new ArrayList<>()).add(e.message());
            }
        }
        for (Map.Entry<ProcessId, List<MessageId>> q : deliveredBy.entrySet()) {
            checkCausalAt(q.getKey(), q.getValue(), past, sendIndex);
        }
    }

    private void checkCausalAt(ProcessId q, List<MessageId> order, Map<MessageId, Map<ProcessId, Integer>> past,
                               Map<MessageId, Integer> sendIndex) {
        // Per sender: q's deliveries of that sender's messages sorted by send index, with the latest
        // position in q's delivery order among all of index <= k (prefix maximum).
        Map<ProcessId, long[][]> bySender = new HashMap<>();
        Map<ProcessId, List<long[]>> lists = new HashMap<>();
        for (int pos = 0; pos < order.size(); pos++) {
            MessageId m = order.get(pos);
            Integer idx = sendIndex.get(m);
            if (idx != null) {
                lists.computeIfAbsent(m.sender(), k -> new ArrayList<>()).add(new long[] {idx, pos});
            }
        }
        for (Map.Entry<ProcessId, List<long[]>> e : lists.entrySet()) {
            long[][] a = e.getValue().toArray(new long[0][]);
            Arrays.sort(a, (x, y) -> Long.compare(x[0], y[0]));
            for (int i = 1; i < a.length; i++) {
                a[i][1] = Math.max(a[i][1], a[i - 1][1]);
            }
            bySender.put(e.getKey(), a);
        }
        for (int pos = 0; pos < order.size(); pos++) {
            MessageId m2 = order.get(pos);
            Map<ProcessId, Integer> mp = past.get(m2);
            if (mp == null) {
                continue;
            }
            for (Map.Entry<ProcessId, Integer> s : mp.entrySet()) {
                long[][] a = bySender.get(s.getKey());
                if (a == null) {
                    continue;
                }
                long k = s.getKey().equals(m2.sender()) ? s.getValue() - 1 : s.getValue();
                int hi = upperBound(a, k);
                if (hi >= 0 && a[hi][1] > pos) {
                    violate(Property.CROSS_GROUP_CAUSAL, q + " delivered " + m2 + " before a message of "
                            + s.getKey() + " (send index <= " + k + ") that happened before it");
                    return;
                }
            }
        }
    }

    /** Index of the last entry with send index <= k, or -1. */
    private static int upperBound(long[][] a, long k) {
        int lo = 0;
        int hi = a.length - 1;
        int ans = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid][0] <= k) {
                ans = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return ans;
    }

    /** After a completed transfer: the next sequence number the joiner must deliver, and what its state held. */
    private static final class Expect {
        long next;
        final Set<MessageId> inState;

        Expect(long next, Set<MessageId> inState) {
            this.next = next;
            this.inState = inState;
        }
    }

    /**
     * State transfer, over the simulated application's XFER records (groups joined with state): holders agree
     * on the state at every group view; a joiner's state equals every holder's at its join view; after it, the
     * joiner delivers the group's messages from cut + 1 on, consecutively (each exactly once, none missed while
     * it stays a member), none of them already in its state; a state declared lost at a view was held there
     * by nobody who was not told of the loss at that same view.
     */
    private void stateTransfer(List<GroupTraceEvent> trace, Set<GroupTraceEvent> unconfirmed) {
        Map<GroupKey, List<GroupTraceEvent>> at = new HashMap<>();
        Map<GroupKey, Set<ProcessId>> lost = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            if (e.type() != GroupTraceEvent.Type.XFER) {
                continue;
            }
            GroupTraceEvent.XferInfo x = (GroupTraceEvent.XferInfo) e.detail();
            GroupKey k = new GroupKey(e.groupId(), x.viewId());
            if (x.what().equals("at") && !unconfirmed.contains(e)) {
                List<GroupTraceEvent> list = at.computeIfAbsent(k, key -> new ArrayList<>());
                GroupTraceEvent first = list.isEmpty() ? null : list.get(0);
                GroupTraceEvent.XferInfo f = first == null ? null : (GroupTraceEvent.XferInfo) first.detail();
                if (f != null && (f.size() != x.size() || f.hash() != x.hash())) {
                    violate(Property.STATE_TRANSFER, e.process() + " held g" + e.groupId() + " at view " + x.viewId()
                            + " with " + x.size() + " messages, " + first.process() + " with " + f.size()
                            + " (hashes " + Long.toHexString(x.hash()) + ", " + Long.toHexString(f.hash()) + ")");
                }
                list.add(e);
            } else if (x.what().equals("lost")) {
                lost.computeIfAbsent(k, key -> new HashSet<>()).add(e.process());
            }
        }
        for (Map.Entry<GroupKey, Set<ProcessId>> l : lost.entrySet()) {
            for (GroupTraceEvent a : at.getOrDefault(l.getKey(), List.of())) {
                if (!l.getValue().contains(a.process())) {
                    violate(Property.STATE_TRANSFER, "g" + l.getKey().groupId() + " declared lost at view "
                            + l.getKey().viewId() + " while " + a.process() + " held it");
                }
            }
        }
        Map<ProcessGroup, Expect> expect = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            ProcessGroup pg = new ProcessGroup(e.process(), e.groupId());
            switch (e.type()) {
                case XFER -> {
                    GroupTraceEvent.XferInfo x = (GroupTraceEvent.XferInfo) e.detail();
                    if (x.what().equals("got")) {
                        for (GroupTraceEvent a : at.getOrDefault(new GroupKey(e.groupId(), x.viewId()), List.of())) {
                            GroupTraceEvent.XferInfo h = (GroupTraceEvent.XferInfo) a.detail();
                            if (!a.process().equals(e.process()) && (h.size() != x.size() || h.hash() != x.hash())) {
                                violate(Property.STATE_TRANSFER, e.process() + " received g" + e.groupId()
                                        + " as of its join view " + x.viewId() + " (cut " + x.cut() + ") with " + x.size()
                                        + " messages, but " + a.process() + " held " + h.size() + " there");
                                break;
                            }
                        }
                        expect.put(pg, new Expect(x.cut() + 1, new HashSet<>(x.ids())));
                    } else if (!x.what().equals("at")) {
                        expect.remove(pg);
                    }
                }
                case DELIVER -> {
                    Expect x = expect.get(pg);
                    if (x != null) {
                        if (x.inState.contains(e.message())) {
                            violate(Property.STATE_TRANSFER, e.process() + " delivered " + e.message() + " of g"
                                    + e.groupId() + " that its transferred state already held");
                        } else if (e.seq() != x.next) {
                            violate(Property.STATE_TRANSFER, e.process() + " delivered #" + e.seq() + " of g"
                                    + e.groupId() + " where #" + x.next + " was next after its state transfer");
                        }
                        x.next = e.seq() + 1;
                    }
                }
                case VIEW -> {
                    if (!e.member()) {
                        expect.remove(pg);
                    }
                }
                default -> {
                }
            }
        }
    }
}
