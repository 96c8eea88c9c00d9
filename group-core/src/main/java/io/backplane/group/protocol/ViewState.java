package io.backplane.group.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * Multicast state of one view (layer 6): messages received and not yet stable, the delivered vector,
 * the ABCAST total order, and stability. It is thrown away when the next view is installed, which is
 * why vector timestamps are indexed by rank in the view and restart at zero with every view.
 */
final class ViewState {
    final View view;
    final int selfRank;
    final int n;
    final long[] delivered;
    /** ABCASTs delivered in this view: the ordinal of the last one (ordinals start at 1). */
    long abcastDelivered;
    /** The last {@link Effect.Stable#abcastThrough()} reported to the host in this view. */
    long abcastStableReported;
    long sentInView;
    /** Per sender rank: received messages by index in the view, until stable. */
    private final IndexedLog<Message>[] received;
    private final long[] receivedUpTo;
    /** ABCAST ordinal to message id; entries at or below {@code orderBase} are stable and dropped. */
    private final IndexedLog<MessageId> order = new IndexedLog<>();
    private long orderBase;
    private final long[][] peerDelivered;
    private final long[] peerAbcastDelivered;
    private final long[] stable;
    private long[] finalCount;
    private final EngineConfig config;

    ViewState(View view, ProcessId self, EngineConfig config) {
        this.view = view;
        this.config = config;
        this.selfRank = view.rankOf(self);
        Invariants.check(selfRank >= 0, "self must be in its view", view);
        this.n = view.size();
        this.delivered = new long[n];
        this.receivedUpTo = new long[n];
        this.received = newLogs(n);
        this.peerDelivered = new long[n][n];
        this.peerAbcastDelivered = new long[n];
        this.stable = new long[n];
    }

    @SuppressWarnings("unchecked")
    private static IndexedLog<Message>[] newLogs(int n) {
        IndexedLog<Message>[] logs = new IndexedLog[n];
        for (int i = 0; i < n; i++) {
            logs[i] = new IndexedLog<>();
        }
        return logs;
    }

    boolean isSequencer() {
        return selfRank == 0;
    }

    /** Own multicasts not yet delivered everywhere. */
    long unstableOwn() {
        return sentInView - stable[selfRank];
    }

    long stableOwn() {
        return stable[selfRank];
    }

    Message newOwnMessage(MessageId id, Kind kind, byte[] payload) {
        long[] vt = delivered.clone();
        vt[selfRank] = ++sentInView;
        Message m = new Message(id, view.id(), kind, vt, payload);
        receive(m);
        return m;
    }

    /** Records a message of this view; duplicates are ignored. Returns false for a duplicate. */
    boolean receive(Message m) {
        int rank = view.rankOf(m.id().sender());
        Invariants.check(rank >= 0, "message from a non-member", m);
        Invariants.check(m.vt().length == n, "vector timestamp sized to the view", m);
        long index = m.vt()[rank];
        if (index <= receivedUpTo[rank] || index <= delivered[rank]) {
            return false;
        }
        Invariants.check(index == receivedUpTo[rank] + 1, "FIFO channel delivered a gap", m);
        received[rank].put(index, m);
        receivedUpTo[rank] = index;
        return true;
    }

    void addOrder(long firstOrdinal, List<MessageId> ids) {
        for (int i = 0; i < ids.size(); i++) {
            long ordinal = firstOrdinal + i;
            if (ordinal <= orderBase) {
                continue;
            }
            MessageId prev = order.get(ordinal);
            if (prev == null) {
                order.put(ordinal, ids.get(i));
            }
            Invariants.check(prev == null || prev.equals(ids.get(i)), "sequencer reassigned an ordinal", ordinal);
        }
    }

    private boolean causallyReady(Message m, int rank, boolean ignoreCausality) {
        if (ignoreCausality && m.kind() == Kind.CBCAST) {
            return true;
        }
        long[] vt = m.vt();
        for (int j = 0; j < n; j++) {
            if (j != rank && vt[j] > delivered[j]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Delivers everything deliverable, in causal order and, for ABCASTs, total order. The sequencer
     * assigns the next ordinal to an ABCAST as it delivers it, appending the id to {@code newOrder}.
     */
    List<Message> deliverReady(boolean mayAssign, List<MessageId> newOrder) {
        List<Message> out = new ArrayList<>();
        boolean ignoreOrder = config.has(PlantedBug.ABCAST_IGNORES_ORDER) && !isSequencer();
        boolean ignoreCausality = config.has(PlantedBug.CBCAST_IGNORES_CAUSALITY);
        boolean progress = true;
        while (progress) {
            progress = false;
            for (int r = 0; r < n; r++) {
                long next = delivered[r] + 1;
                if (finalCount != null && next > finalCount[r]) {
                    continue;
                }
                Message m = received[r].get(next);
                if (m == null || !causallyReady(m, r, ignoreCausality)) {
                    continue;
                }
                if (m.kind() == Kind.ABCAST && !ignoreOrder) {
                    long ordinal = abcastDelivered + 1;
                    MessageId at = order.get(ordinal);
                    if (at == null && mayAssign && isSequencer()) {
                        order.put(ordinal, m.id());
                        newOrder.add(m.id());
                        at = m.id();
                    }
                    if (!m.id().equals(at)) {
                        continue;
                    }
                }
                if (m.kind() == Kind.ABCAST) {
                    abcastDelivered++;
                }
                delivered[r] = next;
                out.add(m);
                progress = true;
            }
        }
        System.arraycopy(delivered, 0, peerDelivered[selfRank], 0, n);
        peerAbcastDelivered[selfRank] = abcastDelivered;
        if (n == 1 && !out.isEmpty()) {
            // Alone in the view, no one else reports stability: what this member delivered is stable
            // now. Without this its send window never drained and it stopped sending after 256.
            collectGarbage();
        }
        return out;
    }

    /** Merges a member's stability report and drops what every member has delivered. */
    void onStability(int rank, long[] theirDelivered, long theirAbcastDelivered) {
        if (theirDelivered.length != n) {
            return;
        }
        for (int j = 0; j < n; j++) {
            peerDelivered[rank][j] = Math.max(peerDelivered[rank][j], theirDelivered[j]);
        }
        peerAbcastDelivered[rank] = Math.max(peerAbcastDelivered[rank], theirAbcastDelivered);
        collectGarbage();
    }

    private void collectGarbage() {
        for (int s = 0; s < n; s++) {
            long min = Long.MAX_VALUE;
            for (int r = 0; r < n; r++) {
                min = Math.min(min, peerDelivered[r][s]);
            }
            stable[s] = min;
            received[s].dropUpTo(min);
        }
        long abMin = Long.MAX_VALUE;
        for (int r = 0; r < n; r++) {
            abMin = Math.min(abMin, peerAbcastDelivered[r]);
        }
        orderBase = Math.max(orderBase, abMin);
        order.dropUpTo(orderBase);
    }

    /**
     * ABCASTs of this view that every member has delivered, as far as this process has heard: the minimum
     * of the members' reported counts, its own included. Reports only grow (each is a max), and a member
     * reports only what it delivered, so this never exceeds what any member delivered.
     */
    long abcastStable() {
        if (config.has(PlantedBug.STABLE_FROM_OWN_DELIVERY)) {
            return abcastDelivered;
        }
        long min = Long.MAX_VALUE;
        for (int r = 0; r < n; r++) {
            min = Math.min(min, peerAbcastDelivered[r]);
        }
        return min;
    }

    Frame.FlushOk flushOk(Ballot ballot, Ballot acceptedBallot, Proposal accepted) {
        int count = 0;
        for (IndexedLog<Message> log : received) {
            count += log.span();
        }
        List<Message> held = new ArrayList<>(count);
        for (IndexedLog<Message> log : received) {
            log.addAllTo(held);
        }
        List<MessageId> ids = new ArrayList<>(order.span());
        MessageId next;
        for (long ordinal = orderBase + 1; (next = order.get(ordinal)) != null; ordinal++) {
            ids.add(next);
        }
        return new Frame.FlushOk(view.id(), ballot, delivered.clone(), abcastDelivered, held, orderBase, ids,
                acceptedBallot, accepted);
    }

    Frame.Stability stability() {
        return new Frame.Stability(view.id(), delivered.clone(), abcastDelivered);
    }

    /**
     * Delivers the old view's final set of a committed proposal: adds the messages this member lacks,
     * adopts the agreed ABCAST order and delivers up to exactly the agreed counts.
     */
    List<Message> deliverFinalSet(Proposal p) {
        Invariants.check(p.prevMembers().equals(view.members()), "proposal ends another membership", p.prevViewId());
        for (int r = 0; r < n; r++) {
            Invariants.check(delivered[r] <= p.finalCount()[r], "delivered beyond the agreed final set", r);
        }
        for (Message m : p.messages()) {
            int rank = view.rankOf(m.id().sender());
            long index = m.vt()[rank];
            if (index > delivered[rank] && !received[rank].contains(index)) {
                received[rank].put(index, m);
                receivedUpTo[rank] = Math.max(receivedUpTo[rank], index);
            }
        }
        List<MessageId> agreed = p.abcastOrder();
        Invariants.check(abcastDelivered <= p.abcastBase() + agreed.size(), "delivered ABCASTs beyond the agreed order");
        for (int i = 0; i < agreed.size(); i++) {
            long ordinal = p.abcastBase() + 1 + i;
            if (ordinal <= abcastDelivered) {
                MessageId known = order.get(ordinal);
                Invariants.check(known == null || known.equals(agreed.get(i)), "agreed order rewrites a delivery", ordinal);
            } else {
                order.put(ordinal, agreed.get(i));
            }
        }
        order.truncateAfter(p.abcastBase() + agreed.size());
        finalCount = p.finalCount();
        List<Message> out = deliverReady(false, new ArrayList<>());
        for (int r = 0; r < n; r++) {
            Invariants.check(delivered[r] == finalCount[r], "final set not fully deliverable", r, delivered[r]);
        }
        Invariants.check(abcastDelivered == p.abcastBase() + agreed.size(), "agreed ABCAST order not fully delivered");
        return out;
    }
}
