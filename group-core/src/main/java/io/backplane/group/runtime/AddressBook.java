package io.backplane.group.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every node this process knows of, by slot, including itself: the transport's dynamic address book.
 * Entries only move forward: a higher incarnation of a name replaces its entry (a restart, perhaps on
 * another port); an equal or lower one changes nothing, so merging books in any order converges. Owned by
 * the transport thread; others read {@link #snapshot()} copies.
 *
 * <p>Limits: at most {@link ControlCodec#BOOK_ENTRIES_MAX} entries; beyond that new names are refused (and
 * logged once). Entries of nodes that are gone for good are not removed (they cost one reconnect attempt
 * per backoff period); a restart under the same name reuses its entry.
 */
final class AddressBook {
    private static final Logger LOG = LoggerFactory.getLogger(AddressBook.class);

    enum Merge { ADDED, UPDATED, UNCHANGED, REFUSED }

    private final NodeInfo self;
    private final int selfSlot;
    private final Map<Integer, NodeInfo> entries = new TreeMap<>();
    /** Collisions and overflows already logged, so gossip repeating them does not flood the log. */
    private final Set<String> reported = new HashSet<>();

    AddressBook(NodeInfo self) {
        this.self = self;
        this.selfSlot = self.slot();
        entries.put(selfSlot, self);
    }

    NodeInfo self() {
        return self;
    }

    /** Merges what a peer says of one node. */
    Merge merge(NodeInfo info) {
        int slot = info.slot();
        NodeInfo known = entries.get(slot);
        if (known != null && !known.name().equals(info.name())) {
            if (reported.size() < ControlCodec.BOOK_ENTRIES_MAX && reported.add(known.name() + "/" + info.name())) {
                LOG.error("slot collision: nodes '{}' and '{}' both map to slot {}; '{}' is refused by node '{}'"
                        + " (rename one of them)", known.name(), info.name(), slot, info.name(), self.name());
            }
            return Merge.REFUSED;
        }
        if (known == null) {
            if (entries.size() >= ControlCodec.BOOK_ENTRIES_MAX) {
                if (reported.add("overflow")) {
                    LOG.warn("address book of '{}' is full ({} entries): '{}' and later names are refused",
                            self.name(), ControlCodec.BOOK_ENTRIES_MAX, info.name());
                }
                return Merge.REFUSED;
            }
            entries.put(slot, info);
            return Merge.ADDED;
        }
        if (info.incarnation() <= known.incarnation()) {
            return Merge.UNCHANGED;
        }
        if (slot == selfSlot) {
            if (reported.add("newer-self-" + info.incarnation())) {
                LOG.warn("node '{}' (incarnation {}) hears of a newer incarnation of itself: {}", self.name(),
                        self.incarnation(), info);
            }
            return Merge.UNCHANGED;
        }
        entries.put(slot, info);
        return Merge.UPDATED;
    }

    NodeInfo get(int slot) {
        return entries.get(slot);
    }

    /** An immutable copy, by slot (ascending). */
    java.util.SortedMap<Integer, NodeInfo> snapshot() {
        return java.util.Collections.unmodifiableSortedMap(new TreeMap<>(entries));
    }

    Iterable<NodeInfo> entries() {
        return entries.values();
    }

    int size() {
        return entries.size();
    }
}
