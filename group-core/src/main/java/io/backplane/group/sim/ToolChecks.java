package io.backplane.group.sim;

import io.backplane.group.groups.CallId;
import io.backplane.group.groups.GroupView;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The group RPC and toolkit properties over a {@link GroupTraceEvent} trace (part of
 * {@link GroupPropertyChecker}): replies counted right and calls completed at most once; lock mutual
 * exclusion and FIFO grants; at most one coordinator-cohort reply reaching the caller; replicated state
 * equal at every group view. Liveness (every call completes, every lock request is granted after healing)
 * is checked by {@link GroupSimulation} on the live processes at the end.
 */
final class ToolChecks {
    private record GroupKey(long groupId, long viewId) {
    }

    private record Grant(int index, ProcessId p, long groupId, long lock, MessageId request, long viewId) {
    }

    private final List<GroupTraceEvent> trace;
    private final Set<GroupTraceEvent> unconfirmed;
    private final BiConsumer<Property, String> violate;
    private final Map<GroupKey, GroupView> views = new HashMap<>();
    private final Map<GroupKey, GroupView> unconfirmedViews = new HashMap<>();
    /** Each process's own group views, by "process/group/view": a caller's results are judged by its own. */
    private final Map<String, GroupView> ownViews = new HashMap<>();
    /** Per group, the indexes of VIEW events in the trace. */
    private final Map<Long, List<Integer>> viewIndexes = new HashMap<>();
    private final Map<ProcessId, Integer> stoppedAt = new HashMap<>();

    private ToolChecks(List<GroupTraceEvent> trace, Set<GroupTraceEvent> unconfirmed, BiConsumer<Property, String> violate) {
        this.trace = trace;
        this.unconfirmed = unconfirmed;
        this.violate = violate;
        for (int i = 0; i < trace.size(); i++) {
            GroupTraceEvent e = trace.get(i);
            if (e.type() == GroupTraceEvent.Type.VIEW) {
                // a view only an about-to-fail process installed (non-uniform delivery) may reuse an id
                // the primary partition gives another view; it counts only if no confirmed one exists
                GroupKey key = new GroupKey(e.groupId(), e.view().viewId());
                ownViews.put(e.process() + "/" + e.groupId() + "/" + e.view().viewId(), e.view());
                if (unconfirmed.contains(e)) {
                    unconfirmedViews.putIfAbsent(key, e.view());
                } else {
                    views.putIfAbsent(key, e.view());
                    viewIndexes.computeIfAbsent(e.groupId(), k -> new ArrayList<>()).add(i);
                }
            } else if (e.type() == GroupTraceEvent.Type.STOP && e.process() != null) {
                stoppedAt.putIfAbsent(e.process(), i);
            }
        }
    }

    static void check(List<GroupTraceEvent> trace, Set<GroupTraceEvent> unconfirmed, BiConsumer<Property, String> violate) {
        ToolChecks c = new ToolChecks(trace, unconfirmed, violate);
        c.rpc();
        c.coordinatorCohort();
        c.locks();
        c.replicatedData();
    }

    /** Whether {@code p} left group {@code g} after view {@code viewId} (a later view without it) or stopped. */
    private boolean removedAfter(ProcessId p, long g, long viewId) {
        if (stoppedAt.containsKey(p)) {
            return true;
        }
        for (int i : viewIndexes.getOrDefault(g, List.of())) {
            GroupView v = trace.get(i).view();
            if (v.viewId() > viewId && !v.contains(p)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ group RPC

    private void rpc() {
        Map<CallId, GroupTraceEvent.CallInfo> calls = new HashMap<>();
        Map<CallId, Long> deliveredIn = new HashMap<>();
        Set<String> repliesSent = new HashSet<>();
        Map<CallId, Integer> results = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            switch (e.type()) {
                case CALL -> {
                    GroupTraceEvent.CallInfo ci = (GroupTraceEvent.CallInfo) e.detail();
                    calls.put(ci.id(), ci);
                }
                case DELIVER -> {
                    if (e.detail() instanceof GroupTraceEvent.CallInfo ci && !unconfirmed.contains(e)) {
                        Long before = deliveredIn.putIfAbsent(ci.id(), e.groupViewId());
                        if (before != null && before != e.groupViewId()) {
                            violate.accept(Property.RPC_REPLIES, ci.id() + " delivered in group views " + before
                                    + " and " + e.groupViewId());
                        }
                    }
                }
                case REPLY -> {
                    GroupTraceEvent.ReplyInfo r = (GroupTraceEvent.ReplyInfo) e.detail();
                    repliesSent.add(r.id() + "/" + r.replier() + "/" + r.nullReply());
                }
                case RESULT -> checkResult(e, calls, deliveredIn, repliesSent, results);
                default -> {
                }
            }
        }
    }

    private void checkResult(GroupTraceEvent e, Map<CallId, GroupTraceEvent.CallInfo> calls,
                             Map<CallId, Long> deliveredIn, Set<String> repliesSent, Map<CallId, Integer> results) {
        GroupTraceEvent.ResultInfo r = (GroupTraceEvent.ResultInfo) e.detail();
        if (results.merge(r.id(), 1, Integer::sum) > 1) {
            violate.accept(Property.RPC_COMPLETION, r.id() + " completed more than once");
            return;
        }
        GroupTraceEvent.CallInfo ci = calls.get(r.id());
        if (ci == null) {
            violate.accept(Property.RPC_COMPLETION, r.id() + " completed but was never made");
            return;
        }
        Long delivered = deliveredIn.get(r.id());
        if (delivered != null && r.groupViewId() != 0 && delivered != r.groupViewId()) {
            violate.accept(Property.RPC_REPLIES, r.id() + " delivered in group view " + delivered
                    + " but its caller counted repliers of view " + r.groupViewId());
        }
        List<ProcessId> all = new ArrayList<>(r.repliers());
        all.addAll(r.nullRepliers());
        Set<ProcessId> distinct = new HashSet<>(all);
        if (distinct.size() != all.size()) {
            violate.accept(Property.RPC_REPLIES, r.id() + " counted a replier twice: " + all);
        }
        GroupKey key = new GroupKey(r.id().groupId(), r.groupViewId());
        // A caller about to be excluded may have installed, under the same id, a view the survivors never did
        // (non-uniform delivery): its call was delivered in the view it saw.
        GroupView view = ownViews.get(e.process() + "/" + r.id().groupId() + "/" + r.groupViewId());
        if (view == null && unconfirmed.contains(e)) {
            // A result in the caller's last LAN view before it stopped: like its deliveries there, it may
            // rest on a view only the about-to-fail processes installed (a client caller records none).
            view = unconfirmedViews.getOrDefault(key, views.get(key));
        }
        if (view == null) {
            view = views.getOrDefault(key, unconfirmedViews.get(key));
        }
        for (ProcessId q : r.repliers()) {
            if (!repliesSent.contains(r.id() + "/" + q + "/false")) {
                violate.accept(Property.RPC_REPLIES, r.id() + " counted a reply " + q + " never sent");
            }
        }
        for (ProcessId q : r.nullRepliers()) {
            if (!repliesSent.contains(r.id() + "/" + q + "/true")) {
                violate.accept(Property.RPC_REPLIES, r.id() + " counted a null reply " + q + " never sent");
            }
        }
        if (view != null) {
            for (ProcessId q : distinct) {
                if (!view.contains(q)) {
                    violate.accept(Property.RPC_REPLIES, r.id() + " counted " + q + ", not in its delivery view " + view);
                }
            }
        }
        if (r.error() == null) {
            if (ci.want().count(0) == 0 && ci.want().mode() == io.backplane.group.groups.Want.Mode.NONE) {
                return;
            }
            if (r.groupViewId() == 0 || view == null) {
                violate.accept(Property.RPC_REPLIES, r.id() + " completed without a known delivery view");
                return;
            }
            int wanted = ci.want().count(view.members().size());
            if (distinct.size() < wanted) {
                violate.accept(Property.RPC_REPLIES, r.id() + " wanted " + ci.want() + " = " + wanted + " of " + view
                        + " but completed with " + distinct);
            }
        } else if (view != null && !stoppedAt.containsKey(e.process())) {
            Set<ProcessId> reachable = new HashSet<>(distinct);
            for (ProcessId m : view.members()) {
                if (!removedAfter(m, view.groupId(), view.viewId())) {
                    reachable.add(m);
                }
            }
            int wanted = ci.want().count(view.members().size());
            if (reachable.size() >= wanted) {
                violate.accept(Property.RPC_REPLIES, r.id() + " failed (" + r.error() + ") although " + reachable
                        + " of " + view + " could still answer " + ci.want());
            }
        }
    }

    // ------------------------------------------------------------------ coordinator-cohort

    private void coordinatorCohort() {
        Set<CallId> cc = new HashSet<>();
        Map<CallId, List<ProcessId>> seenByCaller = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            if (e.type() == GroupTraceEvent.Type.CALL && ((GroupTraceEvent.CallInfo) e.detail()).cc()) {
                cc.add(((GroupTraceEvent.CallInfo) e.detail()).id());
            } else if (e.type() == GroupTraceEvent.Type.REPLY_SEEN && !unconfirmed.contains(e)) {
                GroupTraceEvent.ReplyInfo r = (GroupTraceEvent.ReplyInfo) e.detail();
                if (cc.contains(r.id()) && r.id().caller().equals(e.process()) && !r.nullReply()) {
                    List<ProcessId> seen = seenByCaller.computeIfAbsent(r.id(), k -> new ArrayList<>());
                    seen.add(r.replier());
                    if (seen.size() == 2) {
                        violate.accept(Property.COORDINATOR_COHORT, r.id() + ": replies from " + seen
                                + " both reached the caller");
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ locks

    private void locks() {
        Map<String, Long> memberView = new HashMap<>();
        Map<String, List<Grant>> grants = new HashMap<>();
        Set<MessageId> requests = new HashSet<>();
        for (int i = 0; i < trace.size(); i++) {
            GroupTraceEvent e = trace.get(i);
            if (e.type() == GroupTraceEvent.Type.VIEW) {
                memberView.put(e.process() + "/" + e.groupId(), e.member() ? e.view().viewId() : -1L);
            } else if (e.type() == GroupTraceEvent.Type.GRANT && !unconfirmed.contains(e)) {
                GroupTraceEvent.LockInfo li = (GroupTraceEvent.LockInfo) e.detail();
                long v = memberView.getOrDefault(e.process() + "/" + e.groupId(), -1L);
                grants.computeIfAbsent(e.groupId() + "/" + li.lock(), k -> new ArrayList<>())
                        .add(new Grant(i, e.process(), e.groupId(), li.lock(), li.request(), v));
                if (li.request() != null) {
                    requests.add(li.request());
                }
            }
        }
        for (List<Grant> list : grants.values()) {
            for (int a = 0; a < list.size(); a++) {
                int end = holdEnd(list.get(a));
                for (int b = a + 1; b < list.size() && list.get(b).index() < end; b++) {
                    violate.accept(Property.LOCK_EXCLUSION, "g" + list.get(a).groupId() + " lock " + list.get(a).lock()
                            + ": " + list.get(b).p() + " granted at trace " + list.get(b).index() + " while "
                            + list.get(a).p() + " held it since " + list.get(a).index() + " until " + end);
                }
            }
        }
        fifo(grants, requests);
    }

    /** Where a holder stops holding: its release, its stop, or the first later group view without it. */
    private int holdEnd(Grant g) {
        for (int i = g.index() + 1; i < trace.size(); i++) {
            GroupTraceEvent e = trace.get(i);
            if (e.process() != null && e.process().equals(g.p()) && (e.type() == GroupTraceEvent.Type.STOP
                    || (e.type() == GroupTraceEvent.Type.RELEASE && e.groupId() == g.groupId()
                    && ((GroupTraceEvent.LockInfo) e.detail()).lock() == g.lock()))) {
                return i;
            }
            if (e.type() == GroupTraceEvent.Type.VIEW && e.groupId() == g.groupId() && e.view().viewId() > g.viewId()
                    && !e.view().contains(g.p())) {
                return i;
            }
        }
        return trace.size();
    }

    /** Grants of each lock, in trace order, are in the order every process delivered their requests. */
    private void fifo(Map<String, List<Grant>> grants, Set<MessageId> requests) {
        Map<ProcessId, Map<MessageId, Integer>> position = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            if (e.type() == GroupTraceEvent.Type.DELIVER && requests.contains(e.message())) {
                Map<MessageId, Integer> m = position.computeIfAbsent(e.process(), k -> new HashMap<>());
                m.put(e.message(), m.size());
            }
        }
        for (Map.Entry<String, List<Grant>> l : grants.entrySet()) {
            for (Map.Entry<ProcessId, Map<MessageId, Integer>> q : position.entrySet()) {
                int last = -1;
                MessageId lastId = null;
                for (Grant g : l.getValue()) {
                    Integer pos = g.request() == null ? null : q.getValue().get(g.request());
                    if (pos == null) {
                        continue;
                    }
                    if (pos < last) {
                        violate.accept(Property.LOCK_FIFO, "g/lock " + l.getKey() + ": request " + g.request()
                                + " granted after " + lastId + " although " + q.getKey() + " delivered it first");
                        break;
                    }
                    last = pos;
                    lastId = g.request();
                }
            }
        }
    }

    // ------------------------------------------------------------------ replicated data

    private void replicatedData() {
        Map<GroupKey, GroupTraceEvent> states = new HashMap<>();
        Map<String, Long> configSeen = new HashMap<>();
        Map<String, Long> configValue = new HashMap<>();
        for (GroupTraceEvent e : trace) {
            if (unconfirmed.contains(e)) {
                continue;
            }
            switch (e.type()) {
                case STATE -> {
                    GroupTraceEvent first = states.putIfAbsent(new GroupKey(e.groupId(), e.groupViewId()), e);
                    GroupTraceEvent.StateInfo a = (GroupTraceEvent.StateInfo) e.detail();
                    if (first != null && ((GroupTraceEvent.StateInfo) first.detail()).hash() != a.hash()) {
                        violate.accept(Property.REPLICATED_DATA, "g" + e.groupId() + ".v" + e.groupViewId() + ": "
                                + first.process() + " and " + e.process() + " hold different replicated state");
                    }
                }
                case CONFIG -> {
                    GroupTraceEvent.StateInfo c = (GroupTraceEvent.StateInfo) e.detail();
                    Long last = configSeen.put(e.process() + "/" + e.groupId(), c.version());
                    if (last != null && last >= c.version()) {
                        violate.accept(Property.REPLICATED_DATA, e.process() + " saw config version " + c.version()
                                + " of g" + e.groupId() + " after " + last);
                    }
                    Long value = configValue.putIfAbsent(e.groupId() + "/" + e.groupViewId() + "/" + c.version(), c.hash());
                    if (value != null && value != c.hash()) {
                        violate.accept(Property.REPLICATED_DATA, "g" + e.groupId() + " config version " + c.version()
                                + " has two values in view " + e.groupViewId());
                    }
                }
                case VIEW -> {
                    if (!e.member()) {
                        configSeen.remove(e.process() + "/" + e.groupId());
                    }
                }
                default -> {
                }
            }
        }
    }
}
