package io.backplane.wan;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/** An in-memory spool for tests: append, read, trim on acknowledgement (never before). */
final class MemorySpool implements SpoolReader {
    final ConcurrentSkipListMap<Long, WanFrame.Data> entries = new ConcurrentSkipListMap<>();
    volatile long lastSeq;
    volatile long trimmedThrough;

    synchronized long append(String topic) {
        long seq = ++lastSeq;
        entries.put(seq, new WanFrame.Data(seq, topic, "ORIGIN:n1:1-" + seq, seq,
                "\"text/plain\"".getBytes(StandardCharsets.UTF_8),
                ("\"contentType\":\"text/plain\",\"payload\":\"m" + seq + "\"").getBytes(StandardCharsets.UTF_8)));
        return seq;
    }

    synchronized void trimThrough(long seq) {
        while (!entries.isEmpty() && entries.firstKey() <= seq) {
            entries.pollFirstEntry();
        }
        trimmedThrough = Math.max(trimmedThrough, seq);
    }

    @Override
    public List<WanFrame.Data> read(long fromSeq, int maxEntries) {
        List<WanFrame.Data> out = new ArrayList<>();
        for (WanFrame.Data d : entries.tailMap(fromSeq).values()) {
            if (out.size() >= maxEntries) {
                break;
            }
            out.add(d);
        }
        return out;
    }

    @Override
    public long firstSeq() {
        return entries.isEmpty() ? lastSeq + 1 : entries.firstKey();
    }
}
