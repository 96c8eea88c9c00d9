package io.backplane.wan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A receiving LAN in memory: the high-water mark and epoch per origin, applied in spool order, the
 * same rule as the node's (WanGate). Records what it applied so tests can check exactly-once.
 */
final class MemoryApplier implements WanApplier {
    final String lan;
    final List<String> applied = new ArrayList<>();
    final Map<String, long[]> marks = new ConcurrentHashMap<>(); // origin -> {epoch, seq}
    volatile long duplicates;

    MemoryApplier(String lan) {
        this.lan = lan;
    }

    @Override
    public String lan() {
        return lan;
    }

    @Override
    public synchronized String admit(String originLan, long epoch) {
        long[] m = marks.get(originLan);
        return m != null && epoch < m[0] ? "epoch " + epoch + " is fenced by " + m[0] : null;
    }

    @Override
    public synchronized long appliedHint(String originLan) {
        long[] m = marks.get(originLan);
        return m == null ? 0 : m[1];
    }

    @Override
    public synchronized CompletableFuture<Outcome> apply(String originLan, long epoch, WanFrame.Data data) {
        long[] m = marks.computeIfAbsent(originLan, o -> new long[2]);
        if (epoch < m[0]) {
            return CompletableFuture.failedFuture(new FencedException("epoch " + epoch + " < " + m[0]));
        }
        m[0] = epoch;
        if (data.spoolSeq() <= m[1]) {
            duplicates++;
            return CompletableFuture.completedFuture(Outcome.DUPLICATE);
        }
        if (data.spoolSeq() != m[1] + 1) {
            return CompletableFuture.failedFuture(new OutOfOrderException("seq " + data.spoolSeq() + " after " + m[1]));
        }
        m[1] = data.spoolSeq();
        applied.add(data.id());
        return CompletableFuture.completedFuture(Outcome.APPLIED);
    }

    synchronized List<String> appliedIds() {
        return List.copyOf(applied);
    }
}
