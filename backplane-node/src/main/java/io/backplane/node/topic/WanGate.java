package io.backplane.node.topic;

import io.backplane.history.HistoryStore;
import io.backplane.history.WanMark;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The receiving side's duplicate suppression for spooled posts from other LANs, decided on the
 * sequencer thread at the post's place in the order (clustered: its place in the LAN's ABCAST order,
 * so every replica decides alike). Per origin LAN it holds the highest sender epoch and the highest
 * spool seq applied; both go to RocksDB in the same batch as the post that moves them
 * ({@link WanMark}), so after a crash the marks and the histories agree. No time window: a spool seq
 * at or below the mark is a duplicate however late it comes.
 */
public final class WanGate {
    public enum Decision { APPLY, DUPLICATE, STALE_EPOCH, OUT_OF_ORDER }

    private final Map<String, WanMark> marks = new HashMap<>(); // sequencer thread
    /** What event loops may read (hints, fencing at Hello, metrics): a copy kept current by the sequencer. */
    private final Map<String, WanMark> published = new ConcurrentHashMap<>();
    private volatile long duplicatesSuppressed;
    private volatile long staleRefused;

    /** Loads the marks the store holds (start-up, a rejoin). */
    public void reload(HistoryStore store) {
        set(store.wanMarks().values());
    }

    /** Replaces every mark (a replica that took its LAN's state by transfer). */
    void set(Collection<WanMark> all) {
        marks.clear();
        published.clear();
        for (WanMark m : all) {
            if (m.spoolSeq() > 0 || m.epoch() > 0) {
                marks.put(m.originLan(), m);
                published.put(m.originLan(), m);
            }
        }
    }

    /** The marks as the sequencer holds them now (sequencer thread). */
    Collection<WanMark> snapshot() {
        return java.util.List.copyOf(marks.values());
    }

    /** Decides and, for {@link Decision#APPLY}, moves the mark; {@link #markFor} then gives what to store. */
    Decision decide(String origin, long epoch, long spoolSeq) {
        WanMark m = marks.get(origin);
        long markEpoch = m == null ? 0 : m.epoch();
        long markSeq = m == null ? 0 : m.spoolSeq();
        if (epoch < markEpoch) {
            staleRefused++;
            return Decision.STALE_EPOCH;
        }
        if (spoolSeq <= markSeq) {
            duplicatesSuppressed++;
            return Decision.DUPLICATE;
        }
        if (spoolSeq != markSeq + 1) {
            return Decision.OUT_OF_ORDER;
        }
        WanMark next = new WanMark(origin, epoch, spoolSeq);
        marks.put(origin, next);
        published.put(origin, next);
        return Decision.APPLY;
    }

    /** Takes back the last {@link Decision#APPLY} of {@code origin} (its append was refused before it was queued). */
    void restore(String origin, WanMark previous) {
        if (previous == null) {
            marks.remove(origin);
            published.remove(origin);
        } else {
            marks.put(origin, previous);
            published.put(origin, previous);
        }
    }

    WanMark markFor(String origin) {
        return marks.get(origin);
    }

    /** The highest applied spool seq of {@code origin} known here (any thread). */
    public long appliedHint(String origin) {
        WanMark m = published.get(origin);
        return m == null ? 0 : m.spoolSeq();
    }

    /** The highest epoch of {@code origin} known here (any thread). */
    public long epoch(String origin) {
        WanMark m = published.get(origin);
        return m == null ? 0 : m.epoch();
    }

    public Map<String, WanMark> published() {
        return Map.copyOf(published);
    }

    public long duplicatesSuppressed() {
        return duplicatesSuppressed;
    }

    public long staleRefused() {
        return staleRefused;
    }
}
