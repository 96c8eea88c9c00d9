package io.backplane.group.sim;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks the safety properties of DESIGN.md §2 over a recorded trace. Happens-before is recomputed
 * here from the order of sends and deliveries at each process, never taken from vector timestamps.
 * At most a few violations per property are reported, the first being the earliest.
 */
public final class PropertyChecker {
    private static final int REPORT_MAX_PER_PROPERTY = 3;

    private final List<TraceEvent> trace;
    private final List<Violation> violations = new ArrayList<>();
    private final Map<Property, Integer> reported = new HashMap<>();

    private PropertyChecker(List<TraceEvent> trace) {
        this.trace = trace;
    }

    public static List<Violation> checkSafety(List<TraceEvent> trace) {
        PropertyChecker c = new PropertyChecker(trace);
        c.checkViews();
        c.checkDeliveries();
        c.checkStability();
        return c.violations;
    }

    private void fail(Property p, String detail) {
        int n = reported.merge(p, 1, Integer::sum);
        if (n <= REPORT_MAX_PER_PROPERTY) {
            violations.add(new Violation(p, detail));
        }
    }

    // ------------------------------------------------------------------ views

    private void checkViews() {
        // Primary partition: a view follows its predecessor only if a majority of the predecessor's members
        // accepted exactly that successor (leaving, or being absent from the next view, is not consent).
        Map<String, Set<ProcessId>> acceptorsOf = new HashMap<>();
        for (TraceEvent e : trace) {
            if (e.type() == TraceEvent.Type.ACCEPT) {
                acceptorsOf.computeIfAbsent(e.viewId() + ">" + e.view(), k -> new HashSet<>()).add(e.process());
            }
        }
        Map<ProcessId, View> current = new HashMap<>();
        Map<Long, View> byId = new HashMap<>();
        Map<Long, Long> predecessorOf = new HashMap<>();
        Map<Long, Long> successorOf = new HashMap<>();
        for (TraceEvent e : trace) {
            if (e.type() != TraceEvent.Type.INSTALL) {
                continue;
            }
            View v = e.view();
            ProcessId p = e.process();
            if (!v.contains(p)) {
                fail(Property.SELF_INCLUSION, p + " installed " + v + " at tick " + e.tick());
            }
            View known = byId.putIfAbsent(v.id(), v);
            if (known != null && !known.members().equals(v.members())) {
                fail(Property.VIEW_AGREEMENT, "view " + v.id() + " is " + known + " and " + v + " (at " + p + ")");
            }
            View prev = current.put(p, v);
            if (prev == null) {
                continue;
            }
            if (v.id() <= prev.id()) {
                fail(Property.MONOTONE_VIEWS, p + " installed " + v + " after " + prev);
            }
            Long pred = predecessorOf.putIfAbsent(v.id(), prev.id());
            if (pred != null && pred != prev.id()) {
                fail(Property.VIEW_AGREEMENT, "view " + v.id() + " follows " + pred + " at some, " + prev.id() + " at " + p);
            }
            Long succ = successorOf.putIfAbsent(prev.id(), v.id());
            if (succ != null && succ != v.id()) {
                fail(Property.VIEW_AGREEMENT, "view " + prev.id() + " forked into " + succ + " and " + v.id());
            }
            Set<ProcessId> acceptors = acceptorsOf.getOrDefault(prev.id() + ">" + v, Set.of());
            int accepted = 0;
            for (ProcessId m : prev.members()) {
                if (acceptors.contains(m)) {
                    accepted++;
                }
            }
            if (!prev.isMajority(accepted)) {
                fail(Property.PRIMARY_MAJORITY, v + " (installed by " + p + ") was accepted by only " + accepted
                        + " of " + prev + ": " + acceptors);
            }
        }
    }

    // ------------------------------------------------------------------ stability reports

    /**
     * {@link Property#STABILITY}: each report is checked against the deliveries recorded before it (a member
     * reports what it has delivered, and its report takes at least a tick to arrive), then every ordinal
     * reported stable is checked to name one message at every process that delivered it, wherever the trace
     * records that delivery.
     */
    private void checkStability() {
        Map<Long, View> views = new HashMap<>();
        Map<ProcessId, View> current = new HashMap<>();
        // per process, per view: its ABCAST deliveries in order (index i holds ordinal i + 1)
        Map<ProcessId, Map<Long, List<MessageId>>> abcasts = new HashMap<>();
        Map<ProcessId, Map<Long, Long>> lastReported = new HashMap<>();
        Map<Long, Long> stableThrough = new TreeMap<>();
        for (TraceEvent e : trace) {
            ProcessId p = e.process();
            switch (e.type()) {
                case INSTALL -> {
                    views.putIfAbsent(e.view().id(), e.view());
                    current.put(p, e.view());
                }
                case DELIVER -> {
                    if (e.kind() == Kind.ABCAST) {
                        abcastsIn(abcasts, p, e.viewId()).add(e.message());
                    }
                }
                case STABLE -> onStable(e, views.get(e.viewId()), current.get(p), abcasts, lastReported, stableThrough);
                default -> {
                }
            }
        }
        for (Map.Entry<Long, Long> st : stableThrough.entrySet()) {
            long v = st.getKey();
            Map<Integer, MessageId> atOrdinal = new HashMap<>();
            Map<Integer, ProcessId> firstHolder = new HashMap<>();
            for (Map.Entry<ProcessId, Map<Long, List<MessageId>>> pa : abcasts.entrySet()) {
                List<MessageId> order = pa.getValue().getOrDefault(v, List.of());
                for (int i = 0; i < Math.min(order.size(), st.getValue()); i++) {
                    MessageId known = atOrdinal.putIfAbsent(i, order.get(i));
                    firstHolder.putIfAbsent(i, pa.getKey());
                    if (known != null && !known.equals(order.get(i))) {
                        fail(Property.STABILITY, "ABCAST ordinal " + (i + 1) + " of v" + v + " was reported stable but is "
                                + known + " at " + firstHolder.get(i) + " and " + order.get(i) + " at " + pa.getKey());
                        break;
                    }
                }
            }
        }
    }

    private void onStable(TraceEvent e, View v, View current, Map<ProcessId, Map<Long, List<MessageId>>> abcasts,
                          Map<ProcessId, Map<Long, Long>> lastReported, Map<Long, Long> stableThrough) {
        ProcessId p = e.process();
        long k = e.abcastThrough();
        if (v == null || current == null || current.id() != e.viewId()) {
            fail(Property.STABILITY, p + " reported v" + e.viewId() + " stable through " + k + " while in "
                    + current + " (tick " + e.tick() + ")");
            return;
        }
        Long before = lastReported.computeIfAbsent(p, x -> new HashMap<>()).put(v.id(), k);
        if (before != null && before >= k) {
            fail(Property.STABILITY, p + " reported v" + v.id() + " stable through " + k + " after " + before
                    + " (tick " + e.tick() + ")");
        }
        for (ProcessId q : v.members()) {
            int got = abcastsIn(abcasts, q, v.id()).size();
            if (got < k) {
                fail(Property.STABILITY, p + " reported v" + v.id() + " stable through " + k + " but " + q
                        + " had delivered only " + got + " ABCASTs in it (tick " + e.tick() + ")");
                return;
            }
        }
        stableThrough.merge(v.id(), k, Math::max);
    }

    private static List<MessageId> abcastsIn(Map<ProcessId, Map<Long, List<MessageId>>> abcasts, ProcessId p, long viewId) {
        return abcasts.computeIfAbsent(p, x -> new HashMap<>()).computeIfAbsent(viewId, x -> new ArrayList<>());
    }

    // ------------------------------------------------------------------ deliveries

    private record Sent(int index, ProcessId sender, long viewId, Kind kind) {
    }

    private record Delivery(MessageId message, long viewId) {
    }

    private void checkDeliveries() {
        Map<MessageId, Sent> sent = new HashMap<>();
        List<MessageId> ids = new ArrayList<>();
        Map<ProcessId, Set<MessageId>> deliveredEver = new HashMap<>();
        for (TraceEvent e : trace) {
            if (e.type() == TraceEvent.Type.SEND && !sent.containsKey(e.message())) {
                sent.put(e.message(), new Sent(ids.size(), e.process(), e.viewId(), e.kind()));
                ids.add(e.message());
            } else if (e.type() == TraceEvent.Type.DELIVER) {
                deliveredEver.computeIfAbsent(e.process(), k -> new HashSet<>()).add(e.message());
            }
        }
        Map<ProcessId, View> current = new HashMap<>();
        Map<ProcessId, Set<MessageId>> deliveredSoFar = new HashMap<>();
        Map<ProcessId, BitSet> knowledge = new HashMap<>();
        List<BitSet> past = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            past.add(null);
        }
        // per process: the list of (view id, delivered set in it) and installs in order
        Map<ProcessId, List<View>> installs = new LinkedHashMap<>();
        Map<ProcessId, Map<Long, Set<MessageId>>> deliveredInView = new HashMap<>();
        Map<ProcessId, List<Delivery>> abcastOrder = new LinkedHashMap<>();
        Set<MessageId> seenSend = new HashSet<>();

        for (TraceEvent e : trace) {
            ProcessId p = e.process();
            switch (e.type()) {
                case INSTALL -> {
                    current.put(p, e.view());
                    installs.computeIfAbsent(p, k -> new ArrayList<>()).add(e.view());
                }
                case SEND -> {
                    Sent s = sent.get(e.message());
                    if (!seenSend.add(e.message())) {
                        fail(Property.INTEGRITY, "message " + e.message() + " sent twice");
                        continue;
                    }
                    View v = current.get(p);
                    if (v == null || v.id() != e.viewId()) {
                        fail(Property.SENDING_VIEW_DELIVERY, p + " sent " + e.message() + " in v" + e.viewId()
                                + " while in " + v);
                    }
                    BitSet k = knowledge.computeIfAbsent(p, x -> new BitSet());
                    past.set(s.index(), (BitSet) k.clone());
                    k.set(s.index());
                }
                case DELIVER -> onDeliver(e, sent, ids, deliveredEver, current, deliveredSoFar, knowledge, past,
                        deliveredInView, abcastOrder);
                default -> {
                }
            }
        }
        checkViewSynchrony(installs, deliveredInView, sent);
        checkTotalOrder(abcastOrder, stayers(installs));
    }

    private void onDeliver(TraceEvent e, Map<MessageId, Sent> sent, List<MessageId> ids,
                           Map<ProcessId, Set<MessageId>> deliveredEver, Map<ProcessId, View> current,
                           Map<ProcessId, Set<MessageId>> deliveredSoFar, Map<ProcessId, BitSet> knowledge,
                           List<BitSet> past, Map<ProcessId, Map<Long, Set<MessageId>>> deliveredInView,
                           Map<ProcessId, List<Delivery>> abcastOrder) {
        ProcessId p = e.process();
        MessageId m = e.message();
        Sent s = sent.get(m);
        BitSet mPast = s == null ? null : past.get(s.index());
        if (s == null || mPast == null) {
            fail(Property.INTEGRITY, p + " delivered " + m + " which was never sent (tick " + e.tick() + ")");
            return;
        }
        Set<MessageId> sofar = deliveredSoFar.computeIfAbsent(p, k -> new HashSet<>());
        if (!sofar.add(m)) {
            fail(Property.NO_DUPLICATION, p + " delivered " + m + " twice (tick " + e.tick() + ")");
            return;
        }
        View v = current.get(p);
        if (v == null || v.id() != s.viewId()) {
            fail(Property.SENDING_VIEW_DELIVERY, p + " delivered " + m + " of v" + s.viewId() + " in "
                    + (v == null ? "no view" : "v" + v.id()) + " (tick " + e.tick() + ")");
        }
        Set<MessageId> ever = deliveredEver.get(p);
        for (int i = mPast.nextSetBit(0); i >= 0; i = mPast.nextSetBit(i + 1)) {
            MessageId before = ids.get(i);
            if (sofar.contains(before)) {
                continue;
            }
            boolean sameView = sent.get(before).viewId() == s.viewId();
            if (ever.contains(before) || sameView) {
                fail(Property.CAUSAL_ORDER, p + " delivered " + m + " before its causal predecessor " + before
                        + " (tick " + e.tick() + ")");
                break;
            }
        }
        BitSet k = knowledge.computeIfAbsent(p, x -> new BitSet());
        k.or(mPast);
        k.set(s.index());
        deliveredInView.computeIfAbsent(p, x -> new HashMap<>()).computeIfAbsent(v == null ? -1 : v.id(),
                x -> new TreeSet<>()).add(m);
        if (s.kind() == Kind.ABCAST) {
            abcastOrder.computeIfAbsent(p, x -> new ArrayList<>()).add(new Delivery(m, v == null ? -1 : v.id()));
        }
    }

    private void checkViewSynchrony(Map<ProcessId, List<View>> installs,
                                    Map<ProcessId, Map<Long, Set<MessageId>>> deliveredInView,
                                    Map<MessageId, Sent> sent) {
        // (v, v') -> the set delivered in v by the first process seen making that transition
        Map<String, Set<MessageId>> reference = new HashMap<>();
        Map<String, ProcessId> referenceHolder = new HashMap<>();
        Map<Long, Set<MessageId>> deliveredByStayers = new HashMap<>();
        for (Map.Entry<ProcessId, List<View>> e : installs.entrySet()) {
            ProcessId p = e.getKey();
            List<View> vs = e.getValue();
            Map<Long, Set<MessageId>> dv = deliveredInView.getOrDefault(p, Map.of());
            for (int i = 0; i + 1 < vs.size(); i++) {
                long v = vs.get(i).id();
                long next = vs.get(i + 1).id();
                Set<MessageId> got = dv.getOrDefault(v, Set.of());
                deliveredByStayers.computeIfAbsent(v, x -> new TreeSet<>()).addAll(got);
                String key = v + "->" + next;
                Set<MessageId> ref = reference.putIfAbsent(key, got);
                referenceHolder.putIfAbsent(key, p);
                if (ref != null && !ref.equals(got)) {
                    Set<MessageId> onlyRef = new TreeSet<>(ref);
                    onlyRef.removeAll(got);
                    Set<MessageId> onlyGot = new TreeSet<>(got);
                    onlyGot.removeAll(ref);
                    fail(Property.VIEW_SYNCHRONY, referenceHolder.get(key) + " and " + p + " both went v" + key
                            + " but only the first delivered " + onlyRef + ", only the second " + onlyGot);
                }
                for (MessageId m : sent.keySet()) {
                    Sent s = sent.get(m);
                    if (s.sender().equals(p) && s.viewId() == v && !got.contains(m)) {
                        fail(Property.SELF_DELIVERY, p + " sent " + m + " in v" + v + " and moved to v" + next
                                + " without delivering it");
                    }
                }
            }
        }
        // Reliability: a message delivered in v by a process that survives into the next view is
        // delivered by every process that survives v into the next view.
        for (Map.Entry<ProcessId, List<View>> e : installs.entrySet()) {
            List<View> vs = e.getValue();
            Map<Long, Set<MessageId>> dv = deliveredInView.getOrDefault(e.getKey(), Map.of());
            for (int i = 0; i + 1 < vs.size(); i++) {
                Set<MessageId> all = deliveredByStayers.getOrDefault(vs.get(i).id(), Set.of());
                Set<MessageId> got = dv.getOrDefault(vs.get(i).id(), Set.of());
                if (!got.containsAll(all)) {
                    Set<MessageId> missing = new TreeSet<>(all);
                    missing.removeAll(got);
                    fail(Property.RELIABILITY, e.getKey() + " survived " + vs.get(i) + " but never delivered "
                            + missing);
                }
            }
        }
    }

    /**
     * Per view id, the processes whose deliveries in it are bound by total order: those that install the
     * view's successor, or, for a view nobody has left yet, its members that neither crashed nor were
     * excluded in it. Like ISIS, the order is non-uniform: a process that drops out of the primary
     * partition (an isolated sequencer, say) may have delivered ABCASTs in an order the survivors never
     * learned. Uniform order would need the sequencer to deliver only after a majority knows the order.
     */
    private Map<Long, Set<ProcessId>> stayers(Map<ProcessId, List<View>> installs) {
        Set<ProcessId> droppedOut = new HashSet<>();
        Set<Long> succeeded = new HashSet<>();
        for (TraceEvent e : trace) {
            if (e.type() == TraceEvent.Type.CRASH || e.type() == TraceEvent.Type.EXCLUDED) {
                droppedOut.add(e.process());
            }
        }
        Map<Long, Set<ProcessId>> out = new HashMap<>();
        for (Map.Entry<ProcessId, List<View>> e : installs.entrySet()) {
            List<View> vs = e.getValue();
            for (int i = 0; i + 1 < vs.size(); i++) {
                out.computeIfAbsent(vs.get(i).id(), x -> new HashSet<>()).add(e.getKey());
                succeeded.add(vs.get(i).id());
            }
        }
        for (Map.Entry<ProcessId, List<View>> e : installs.entrySet()) {
            View last = e.getValue().get(e.getValue().size() - 1);
            if (!succeeded.contains(last.id()) && !droppedOut.contains(e.getKey())) {
                out.computeIfAbsent(last.id(), x -> new HashSet<>()).add(e.getKey());
            }
        }
        return out;
    }

    private void checkTotalOrder(Map<ProcessId, List<Delivery>> deliveries, Map<Long, Set<ProcessId>> stayers) {
        Map<MessageId, Set<MessageId>> edges = new TreeMap<>();
        Map<MessageId, Integer> indegree = new TreeMap<>();
        for (Map.Entry<ProcessId, List<Delivery>> pd : deliveries.entrySet()) {
            List<MessageId> order = new ArrayList<>();
            for (Delivery d : pd.getValue()) {
                if (stayers.getOrDefault(d.viewId(), Set.of()).contains(pd.getKey())) {
                    order.add(d.message());
                }
            }
            for (MessageId m : order) {
                indegree.putIfAbsent(m, 0);
            }
            for (int i = 0; i + 1 < order.size(); i++) {
                if (edges.computeIfAbsent(order.get(i), x -> new TreeSet<>()).add(order.get(i + 1))) {
                    indegree.merge(order.get(i + 1), 1, Integer::sum);
                }
            }
        }
        ArrayDeque<MessageId> ready = new ArrayDeque<>();
        indegree.forEach((m, d) -> {
            if (d == 0) {
                ready.add(m);
            }
        });
        int visited = 0;
        while (!ready.isEmpty()) {
            MessageId m = ready.poll();
            visited++;
            for (MessageId next : edges.getOrDefault(m, Set.of())) {
                if (indegree.merge(next, -1, Integer::sum) == 0) {
                    ready.add(next);
                }
            }
        }
        if (visited < indegree.size()) {
            List<MessageId> cyclic = new ArrayList<>();
            indegree.forEach((m, d) -> {
                if (d > 0 && cyclic.size() < 6) {
                    cyclic.add(m);
                }
            });
            fail(Property.TOTAL_ORDER, "ABCAST deliveries admit no single order; messages on a cycle include " + cyclic);
        }
    }
}
