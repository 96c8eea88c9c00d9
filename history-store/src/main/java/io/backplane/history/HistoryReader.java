package io.backplane.history;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
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
 *
 * <p>A rewrite (tail truncation or skip, see {@link TopicState}) is different: an answer computed
 * partly from the bounds read at the start and partly from records or keys read after the rewrite
 * would belong to neither history (a chunk whose {@code nextSeq} points into the gap a skip jumped,
 * a time search over records that are gone, records shipped without the keys deleted with them).
 * Reads that derive more than the records themselves therefore check the topic's rewrite counter
 * and read again when a rewrite overlapped them. Rewrites are rare (replication only), so the
 * retry costs nothing in the common case; at worst a reader waits out one fsynced batch.
 */
final class HistoryReader {
    private static final ThreadLocal<ScanBuffers> SCAN_BUFFERS = ThreadLocal.withInitial(ScanBuffers::new);
    private final RocksHandles rocks;

    HistoryReader(RocksHandles rocks) {
        this.rocks = rocks;
    }

    List<HistoryRecord> readFrom(TopicState topic, long fromSeq, int limit) {
        long rewrites = topic.rewrites();
        TopicState.Bounds bounds = topic.bounds();
        long start = Math.max(fromSeq, bounds.firstSeq());
        if (limit == 0 || start > bounds.lastSeq()) {
            return List.of();
        }
        return scan(topic, rewrites, start, bounds.lastSeq(), limit, Long.MAX_VALUE);
    }

    List<HistoryRecord> readLast(TopicState topic, int count) {
        long rewrites = topic.rewrites();
        TopicState.Bounds bounds = topic.bounds();
        if (count == 0 || bounds.count() == 0) {
            return List.of();
        }
        long start = Math.max(bounds.firstSeq(), bounds.lastSeq() - count + 1);
        return scan(topic, rewrites, start, bounds.lastSeq(), count, Long.MAX_VALUE);
    }

    /**
     * Records read from one iterator snapshot are always one history's; only an empty chunk can mix
     * two: its {@code nextSeq} comes from the bounds. After retention trimmed all of start..end that
     * is right (end + 1 is at or below the new first seq), but after a skip it would point into the
     * gap and after a tail truncation past seqs about to be taken again, so then read again from the
     * new bounds (published right after the write the iterator saw).
     */
    HistoryChunk readChunk(TopicState topic, long fromSeq, long toSeq, int maxRecords, int maxBytes) {
        while (true) {
            long rewrites = topic.rewrites();
            TopicState.Bounds bounds = topic.bounds();
            long start = Math.max(fromSeq, bounds.firstSeq());
            long end = Math.min(toSeq, bounds.lastSeq());
            if (start > end) {
                return new HistoryChunk(topic.name, List.of(), start, true);
            }
            List<HistoryRecord> records = scan(topic, rewrites, start, end, maxRecords, maxBytes);
            if (records.isEmpty() && rewrittenSince(topic, rewrites)) {
                pause();
                continue;
            }
            long nextSeq = records.isEmpty() ? end + 1 : records.get(records.size() - 1).seq() + 1;
            return new HistoryChunk(topic.name, records, nextSeq, nextSeq > end);
        }
    }

    /**
     * A chunk as the appends that recreate it, read again if a rewrite came between the records and
     * their keys (it deletes both: the chunk would ship records the topic no longer holds, keyless).
     */
    TransferChunk readTransferChunk(TopicState topic, long fromSeq, long toSeq, int maxRecords, int maxBytes) {
        while (true) {
            long rewrites = rewritesAtRest(topic);
            HistoryChunk chunk = readChunk(topic, fromSeq, toSeq, maxRecords, maxBytes);
            List<AppendRequest> appends = withIdempotencyKeys(topic, chunk.records());
            if (topic.rewrites() == rewrites) {
                return new TransferChunk(topic.name, appends, chunk.nextSeq(), chunk.last());
            }
        }
    }

    /**
     * The first retained seq whose timestamp is >= {@code timeMillis}, by binary search over seqs:
     * timestamps are non-decreasing within a topic (the {@link HistoryRecord} contract) and seqs are
     * dense, so a probe is one point read. About 30 probes for a billion records, each usually from
     * the block cache; a time index would cost a write per append on the hot path and one more
     * structure for retention to keep consistent, for a read that is rare (a subscribe "from time").
     * A probe that finds its record trimmed meanwhile treats it as older than any retained one. A
     * probe that finds it removed by a rewrite would do the same, wrongly (the answer would be the old
     * lastSeq + 1, a seq inside a skipped gap or one a truncation hands out again), so a search that
     * a rewrite overlapped runs again.
     */
    long seqAtTime(TopicState topic, long timeMillis) {
        while (true) {
            long rewrites = rewritesAtRest(topic);
            long seq = seqAtTime(topic, topic.bounds(), timeMillis);
            if (topic.rewrites() == rewrites) {
                return seq;
            }
        }
    }

    private long seqAtTime(TopicState topic, TopicState.Bounds bounds, long timeMillis) {
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
                if (found == RocksDB.NOT_FOUND || header.getLong(StorageFormat.MESSAGE_TIMESTAMP_OFFSET) < timeMillis) {
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

    private static boolean rewrittenSince(TopicState topic, long rewritesBefore) {
        return (rewritesBefore & 1) == 1 || topic.rewrites() != rewritesBefore;
    }

    /** The rewrite counter once no rewrite of the topic is being written (at most one fsynced batch away). */
    private static long rewritesAtRest(TopicState topic) {
        while (true) {
            long rewrites = topic.rewrites();
            if ((rewrites & 1) == 0) {
                return rewrites;
            }
            pause();
        }
    }

    /** Between tries while the writer finishes a rewrite: parks briefly instead of spinning a core. */
    private static void pause() {
        LockSupport.parkNanos(50_000);
    }

    /**
     * Reads records {@code startSeq..endSeq} (ending early at {@code maxRecords} or {@code maxBytes})
     * in key order. Keys are strictly increasing, so a run of n keys is gapless exactly when its last
     * seq is its first + n - 1: the scan reads the first key and the key where it stops (or knows it
     * stopped at {@code endSeq}, the bound), and numbers the records between without reading their
     * keys; that saves a JNI call per record and still catches a hole anywhere in the run.
     *
     * <p>A run that ends before {@code endSeq} is a hole, unless a rewrite was in progress
     * when the caller read the bounds or has happened since ({@code rewritesBefore}, sampled
     * before the bounds, is odd or differs now; see {@link TopicState}): then the iterator's snapshot
     * is simply the shorter history, and what it holds is returned.
     */
    private List<HistoryRecord> scan(TopicState topic, long rewritesBefore, long startSeq, long endSeq, int maxRecords,
                                     long maxBytes) {
        List<HistoryRecord> out = new ArrayList<>((int) Math.min(maxRecords, Math.min(endSeq - startSeq + 1, 1024)));
        ScanBuffers buffers = SCAN_BUFFERS.get();
        try (Slice upperBound = new Slice(StorageFormat.seqKey(topic.id, endSeq + 1));
             ReadOptions options = new ReadOptions().setIterateUpperBound(upperBound).setPrefixSameAsStart(true);
             RocksIterator it = rocks.db.newIterator(rocks.messages, options)) {
            it.seek(StorageFormat.seqKey(topic.id, startSeq));
            if (!it.isValid()) {
                it.status();
                return out; // retention trimmed (or a rewrite removed) the whole range after we read the bounds
            }
            long seq = buffers.keySeq(it);
            checkRun(topic, seq >= startSeq, seq, ">= " + startSeq);
            long bytes = 0;
            while (true) {
                HistoryRecord record = buffers.readRecord(it, seq);
                if (!out.isEmpty() && bytes + record.body().length > maxBytes) {
                    long stoppedAt = buffers.keySeq(it);
                    checkRun(topic, stoppedAt == seq, stoppedAt, seq);
                    return out;
                }
                out.add(record);
                bytes += record.body().length;
                if (out.size() == maxRecords) {
                    long stoppedAt = buffers.keySeq(it);
                    checkRun(topic, stoppedAt == seq, stoppedAt, seq);
                    return out;
                }
                it.next();
                if (!it.isValid()) {
                    it.status();
                    checkRun(topic, seq == endSeq || rewrittenSince(topic, rewritesBefore),
                            "the end", endSeq);
                    return out;
                }
                seq++;
            }
        } catch (RocksDBException e) {
            throw new HistoryStoreException("reading " + topic.name + " from seq " + startSeq + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The appends that recreate {@code records} elsewhere: each with the idempotency key stored with
     * it, found through {@code idempotency_by_seq} over the records' seq range, and its value.
     */
    List<AppendRequest> withIdempotencyKeys(TopicState topic, List<HistoryRecord> records) {
        List<AppendRequest> out = new ArrayList<>(records.size());
        if (records.isEmpty()) {
            return out;
        }
        long firstSeq = records.get(0).seq();
        long lastSeq = records.get(records.size() - 1).seq();
        Map<Long, byte[]> keyBySeq = new HashMap<>();
        try (Slice upperBound = new Slice(StorageFormat.seqKey(topic.id, lastSeq + 1));
             ReadOptions options = new ReadOptions().setIterateUpperBound(upperBound);
             RocksIterator it = rocks.db.newIterator(rocks.idempotencyBySeq, options)) {
            for (it.seek(StorageFormat.seqKey(topic.id, firstSeq)); it.isValid(); it.next()) {
                keyBySeq.put(StorageFormat.seqOf(it.key()), StorageFormat.keyOrderIdempotencyKey(topic.id, it.value()));
            }
            it.status();
            for (HistoryRecord record : records) {
                byte[] key = keyBySeq.get(record.seq());
                byte[] entry = key == null ? null : rocks.db.get(rocks.idempotency, key);
                // Pruned, or moved to a later seq, since the scan: the record travels without it.
                if (entry == null || StorageFormat.idempotencySeq(entry) != record.seq()) {
                    out.add(AppendRequest.of(topic.name, record));
                } else {
                    out.add(new AppendRequest(topic.name, record, StorageFormat.idempotencyKeyName(key),
                            StorageFormat.idempotencyCallerValue(entry)));
                }
            }
            return out;
        } catch (RocksDBException e) {
            throw new HistoryStoreException("reading idempotency keys of " + topic.name + " failed: " + e.getMessage(), e);
        }
    }

    private static void checkRun(TopicState topic, boolean ok, Object found, Object expected) {
        if (!ok) {
            throw new IllegalStateException("history of " + topic.name + " has a hole: found " + found
                    + " where " + expected + " was expected");
        }
    }

    /**
     * Per reading thread, direct buffers the iterator copies keys and values into: one JNI copy per
     * value instead of a fresh array from JNI and a second copy (measured: about 10% less CPU per
     * record on 100-record pages). Values above {@link #POOLED_VALUE_BYTES_MAX} are read the plain way, so one huge message
     * does not pin a huge buffer to every reader thread.
     */
    private static final class ScanBuffers {
        static final int POOLED_VALUE_BYTES_MAX = (1 << 20) + StorageFormat.MESSAGE_HEADER_BYTES;
        final ByteBuffer key = ByteBuffer.allocateDirect(StorageFormat.SEQ_KEY_BYTES);
        ByteBuffer value = ByteBuffer.allocateDirect(16 << 10);

        long keySeq(RocksIterator it) {
            key.clear();
            it.key(key);
            return key.getLong(StorageFormat.TOPIC_ID_BYTES);
        }

        HistoryRecord readRecord(RocksIterator it, long seq) {
            value.clear();
            int valueBytes = it.value(value);
            if (valueBytes > value.capacity()) {
                if (valueBytes > POOLED_VALUE_BYTES_MAX) {
                    return StorageFormat.decodeMessage(seq, it.value());
                }
                value = ByteBuffer.allocateDirect(Math.min(Integer.highestOneBit(valueBytes) << 1, POOLED_VALUE_BYTES_MAX));
                it.value(value);
            }
            return StorageFormat.decodeMessage(seq, value, valueBytes);
        }
    }
}
