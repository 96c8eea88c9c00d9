package io.backplane.history;

import java.util.concurrent.locks.Lock;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a topic's newest records, on the writer thread (see {@link HistoryStore#truncateAfter}).
 *
 * <p>Why a store that is otherwise append-only has this: under virtual synchrony a replica may
 * deliver, and so append, a message that no surviving replica delivered (it crashed before the
 * message was stable). The group then gives that seq to another message. When the replica comes
 * back, it must cut its history back to the point the group agrees on before it takes the group's
 * suffix by state transfer. Such a suffix was never acknowledged to a client (acknowledgement needs
 * a majority), so nothing promised is lost.
 *
 * <p>One atomic, fsynced batch deletes the records and the idempotency keys written with them. It
 * runs on the writer thread, so no append of the topic is half-way; it holds the trim lock so a
 * retention pass never trims the topic from bounds that the truncation is changing, and the
 * idempotency lock so key pruning never counts a key this deletes.
 */
final class TailTruncation {
    private static final Logger log = LoggerFactory.getLogger(TailTruncation.class);

    private final RocksHandles rocks;
    private final TopicTable table;
    private final Lock idempotencyLock;
    private final Lock trimLock;

    TailTruncation(RocksHandles rocks, TopicTable table, Lock idempotencyLock, Lock trimLock) {
        this.rocks = rocks;
        this.table = table;
        this.idempotencyLock = idempotencyLock;
        this.trimLock = trimLock;
    }

    void run(PendingTruncate request) {
        try {
            truncate(request.topic(), request.keepThroughSeq());
            request.future().complete(null);
        } catch (IllegalArgumentException e) {
            request.future().completeExceptionally(e);
        } catch (RocksDBException e) {
            // Nothing was written (the batch is atomic) and nothing in memory changed yet.
            request.future().completeExceptionally(new HistoryStoreException("truncating " + request.topic()
                    + " after seq " + request.keepThroughSeq() + " failed: " + e.getMessage(), e));
        }
    }

    private void truncate(String name, long keep) throws RocksDBException {
        TopicState topic = table.get(name);
        if (topic == null) {
            return; // nothing to cut
        }
        trimLock.lock();
        try {
            TopicState.Bounds bounds = topic.bounds();
            Invariants.check(topic.writerLastSeq == bounds.lastSeq(), "topic %s: writer at %s, published %s",
                    name, topic.writerLastSeq, bounds.lastSeq());
            if (keep >= bounds.lastSeq()) {
                return; // already no longer than asked
            }
            if (keep < bounds.firstSeq() - 1) {
                throw new IllegalArgumentException("topic " + name + ": cannot truncate after seq " + keep
                        + ", retention already removed everything up to seq " + (bounds.firstSeq() - 1));
            }
            long removedBytes;
            long keysRemoved = 0;
            topic.beginRewrite();
            try {
                idempotencyLock.lock();
                try (WriteBatch batch = new WriteBatch()) {
                    removedBytes = keep >= bounds.firstSeq()
                            ? topic.writerRunningBodyBytes - runningBodyBytesAt(topic, keep)
                            : bounds.bodyBytes();
                    keysRemoved = deleteKeys(rocks, batch, topic, keep + 1, bounds.lastSeq());
                    byte[] from = StorageFormat.seqKey(topic.id, keep + 1);
                    byte[] to = StorageFormat.seqKey(topic.id, bounds.lastSeq() + 1);
                    batch.deleteRange(rocks.messages, from, to);
                    batch.deleteRange(rocks.idempotencyBySeq, from, to);
                    if (keysRemoved != 0) {
                        batch.merge(rocks.meta, StorageFormat.metaKey(StorageFormat.META_IDEMPOTENCY_KEYS, topic.id),
                                StorageFormat.counterDelta(-keysRemoved));
                    }
                    rocks.db.write(rocks.syncWrite, batch);
                } finally {
                    idempotencyLock.unlock();
                }
                topic.writerLastSeq = keep;
                topic.writerRunningBodyBytes -= removedBytes;
                topic.onTruncated(keep, removedBytes, keysRemoved);
            } finally {
                topic.endRewrite();
            }
            log.warn("topic {}: truncated seqs {}..{} ({} body bytes, {} idempotency keys) to match the group",
                    name, keep + 1, bounds.lastSeq(), removedBytes, keysRemoved);
        } finally {
            trimLock.unlock();
        }
    }

    private long runningBodyBytesAt(TopicState topic, long seq) throws RocksDBException {
        byte[] value = rocks.db.get(rocks.messages, StorageFormat.seqKey(topic.id, seq));
        Invariants.check(value != null, "topic %s: retained seq %s is missing", topic.name, seq);
        return StorageFormat.runningBodyBytes(value);
    }

    /** Adds deletes of the idempotency keys whose records are {@code fromSeq..toSeq}; returns how many. */
    static long deleteKeys(RocksHandles rocks, WriteBatch batch, TopicState topic, long fromSeq, long toSeq)
            throws RocksDBException {
        long keys = 0;
        try (Slice upperBound = new Slice(StorageFormat.seqKey(topic.id, toSeq + 1));
             ReadOptions options = new ReadOptions().setIterateUpperBound(upperBound);
             RocksIterator it = rocks.db.newIterator(rocks.idempotencyBySeq, options)) {
            for (it.seek(StorageFormat.seqKey(topic.id, fromSeq)); it.isValid(); it.next()) {
                batch.delete(rocks.idempotency, StorageFormat.keyOrderIdempotencyKey(topic.id, it.value()));
                keys++;
            }
            it.status();
        }
        return keys;
    }
}
