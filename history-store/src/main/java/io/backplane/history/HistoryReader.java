package io.backplane.history;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * Range reads of one topic's history. Every read is bounded by the topic's published bounds, read
 * once at its start, so it never returns a record whose append has not completed, and by an
 * iterator upper bound, so RocksDB never walks into the next topic's keys. An iterator reads from
 * the implicit snapshot taken when it was created, so a concurrent trim cannot tear a scan: at worst
 * the scan starts later than asked, which is the documented "starts at the first retained seq".
 */
final class HistoryReader {
    private final RocksHandles rocks;

    HistoryReader(RocksHandles rocks) {
        this.rocks = rocks;
    }

    List<HistoryRecord> readFrom(TopicState topic, long fromSeq, int limit) {
        TopicState.Bounds bounds = topic.bounds();
        long start = Math.max(fromSeq, bounds.firstSeq());
        if (limit == 0 || start > bounds.lastSeq()) {
            return List.of();
        }
        return scan(topic, start, bounds.lastSeq(), limit, Long.MAX_VALUE);
    }

    List<HistoryRecord> readLast(TopicState topic, int count) {
        TopicState.Bounds bounds = topic.bounds();
        if (count == 0 || bounds.count() == 0) {
            return List.of();
        }
        long start = Math.max(bounds.firstSeq(), bounds.lastSeq() - count + 1);
        return scan(topic, start, bounds.lastSeq(), count, Long.MAX_VALUE);
    }

    HistoryChunk readChunk(TopicState topic, long fromSeq, long toSeq, int maxRecords, int maxBytes) {
        TopicState.Bounds bounds = topic.bounds();
        long start = Math.max(fromSeq, bounds.firstSeq());
        long end = Math.min(toSeq, bounds.lastSeq());
        if (start > end) {
            return new HistoryChunk(topic.name, List.of(), start, true);
        }
        List<HistoryRecord> records = scan(topic, start, end, maxRecords, maxBytes);
        // Empty only if retention trimmed all of start..end after we read the bounds.
        long nextSeq = records.isEmpty() ? end + 1 : records.get(records.size() - 1).seq() + 1;
        return new HistoryChunk(topic.name, records, nextSeq, nextSeq > end);
    }

    /**
     * The first retained seq whose timestamp is >= {@code timeMillis}, by binary search over seqs:
     * timestamps are non-decreasing within a topic (the {@link HistoryRecord} contract) and seqs are
     * dense, so a probe is one point read. About 30 probes for a billion records, each usually from
     * the block cache; a time index would cost a write per append on the hot path and one more
     * structure for retention to keep consistent, for a read that is rare (a subscribe "from time").
     * A probe that finds its record trimmed meanwhile treats it as older than any retained one.
     */
    long seqAtTime(TopicState topic, long timeMillis) {
        TopicState.Bounds bounds = topic.bounds();
        long low = bounds.firstSeq();
        long high = bounds.lastSeq() + 1;
        ByteBuffer key = ByteBuffer.allocateDirect(StorageFormat.SEQ_KEY_BYTES);
        ByteBuffer header = ByteBuffer.allocateDirect(StorageFormat.MESSAGE_HEADER_BYTES);
        try (ReadOptions options = new ReadOptions()) {
            while (low < high) {
                long mid = low + (high - low) / 2;
                key.clear();
                key.putInt(topic.id).putLong(mid).flip();
                header.clear();
                int found = rocks.db.get(rocks.messages, options, key, header);
                if (found == RocksDB.NOT_FOUND || header.getLong(1) < timeMillis) {
                    low = mid + 1;
                } else {
                    high = mid;
                }
            }
            return low;
        } catch (RocksDBException e) {
            throw new HistoryStoreException("reading " + topic.name + " at time " + timeMillis + " failed: " + e.getMessage(), e);
        }
    }

    private List<HistoryRecord> scan(TopicState topic, long startSeq, long endSeq, int maxRecords, long maxBytes) {
        List<HistoryRecord> out = new ArrayList<>((int) Math.min(maxRecords, Math.min(endSeq - startSeq + 1, 1024)));
        long bytes = 0;
        try (Slice upperBound = new Slice(StorageFormat.seqKey(topic.id, endSeq + 1));
             ReadOptions options = new ReadOptions().setIterateUpperBound(upperBound);
             RocksIterator it = rocks.db.newIterator(rocks.messages, options)) {
            long expectedSeq = -1;
            for (it.seek(StorageFormat.seqKey(topic.id, startSeq)); it.isValid() && out.size() < maxRecords; it.next()) {
                long seq = StorageFormat.seqOf(it.key());
                if (expectedSeq == -1 ? seq < startSeq : seq != expectedSeq) {
                    throw new IllegalStateException("history of " + topic.name + " has seq " + seq + " where "
                            + (expectedSeq == -1 ? ">= " + startSeq : expectedSeq) + " was expected");
                }
                byte[] value = it.value();
                int bodyBytes = StorageFormat.bodyLength(value.length);
                if (!out.isEmpty() && bytes + bodyBytes > maxBytes) {
                    break;
                }
                out.add(StorageFormat.decodeMessage(seq, value));
                bytes += bodyBytes;
                expectedSeq = seq + 1;
            }
            it.status();
            return out;
        } catch (RocksDBException e) {
            throw new HistoryStoreException("reading " + topic.name + " from seq " + startSeq + " failed: " + e.getMessage(), e);
        }
    }
}
