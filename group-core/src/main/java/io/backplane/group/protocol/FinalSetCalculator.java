package io.backplane.group.protocol;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes what the survivors of a view deliver in it before the next view (the heart of the flush):
 * per sender, the longest prefix some survivor received, cut back until every message's causal
 * predecessors are also in the set (a crashed sender may have sent messages that depend on messages
 * nobody else received); then the ABCAST order: the sequencer's order as far as it is known and
 * complete, followed by the remaining ABCASTs sorted by vector-timestamp sum, which extends causality.
 */
public final class FinalSetCalculator {
    private FinalSetCalculator() {
    }

    /** The agreed final set of view {@code old} given every survivor's phase-1 reply. */
    public record FinalSet(long[] finalCount, List<Message> messages, long abcastBase, List<MessageId> abcastOrder) {
    }

    public static FinalSet compute(View old, List<Frame.FlushOk> replies) {
        Invariants.check(!replies.isEmpty(), "final set needs at least one reply");
        int n = old.size();
        long[] maxIndex = new long[n];
        long[] minDelivered = new long[n];
        java.util.Arrays.fill(minDelivered, Long.MAX_VALUE);
        List<Map<Long, Message>> byIndex = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byIndex.add(new TreeMap<>());
        }
        long abcastBase = Long.MAX_VALUE;
        TreeMap<Long, MessageId> knownOrder = new TreeMap<>();
        for (Frame.FlushOk r : replies) {
            for (int s = 0; s < n; s++) {
                maxIndex[s] = Math.max(maxIndex[s], r.delivered()[s]);
                minDelivered[s] = Math.min(minDelivered[s], r.delivered()[s]);
            }
            for (Message m : r.held()) {
                int rank = old.rankOf(m.id().sender());
                long index = m.vt()[rank];
                byIndex.get(rank).putIfAbsent(index, m);
                maxIndex[rank] = Math.max(maxIndex[rank], index);
            }
            abcastBase = Math.min(abcastBase, r.abcastDelivered());
            for (int i = 0; i < r.order().size(); i++) {
                MessageId prev = knownOrder.putIfAbsent(r.orderBase() + 1 + i, r.order().get(i));
                Invariants.check(prev == null || prev.equals(r.order().get(i)), "two orders for one ordinal");
            }
        }
        long[] finalCount = maxIndex.clone();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int s = 0; s < n; s++) {
                for (long k = minDelivered[s] + 1; k <= finalCount[s]; k++) {
                    Message m = byIndex.get(s).get(k);
                    Invariants.check(m != null, "a survivor's prefix has a hole", s, k);
                    if (!dependenciesWithin(m, s, finalCount)) {
                        finalCount[s] = k - 1;
                        changed = true;
                        break;
                    }
                }
            }
        }
        List<Message> messages = new ArrayList<>();
        Map<MessageId, Message> inSet = new HashMap<>();
        for (int s = 0; s < n; s++) {
            for (long k = minDelivered[s] + 1; k <= finalCount[s]; k++) {
                Message m = byIndex.get(s).get(k);
                messages.add(m);
                inSet.put(m.id(), m);
            }
        }
        List<MessageId> order = new ArrayList<>();
        Set<MessageId> ordered = new HashSet<>();
        for (long ordinal = abcastBase + 1; knownOrder.containsKey(ordinal); ordinal++) {
            MessageId id = knownOrder.get(ordinal);
            if (!inSet.containsKey(id)) {
                break;
            }
            order.add(id);
            ordered.add(id);
        }
        List<Message> unordered = new ArrayList<>();
        for (Message m : messages) {
            if (m.kind() == Kind.ABCAST && !ordered.contains(m.id()) && !deliveredByAll(m, old, minDelivered)) {
                unordered.add(m);
            }
        }
        unordered.sort(Comparator.comparingLong(Message::vtSum)
                .thenComparingInt((Message m) -> old.rankOf(m.id().sender()))
                .thenComparingLong(m -> m.vt()[old.rankOf(m.id().sender())]));
        for (Message m : unordered) {
            order.add(m.id());
        }
        return new FinalSet(finalCount, messages, abcastBase, order);
    }

    private static boolean deliveredByAll(Message m, View old, long[] minDelivered) {
        int rank = old.rankOf(m.id().sender());
        return m.vt()[rank] <= minDelivered[rank];
    }

    private static boolean dependenciesWithin(Message m, int sender, long[] finalCount) {
        for (int j = 0; j < finalCount.length; j++) {
            if (j != sender && m.vt()[j] > finalCount[j]) {
                return false;
            }
        }
        return true;
    }
}
