package io.backplane.history;

import java.util.concurrent.locks.Lock;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a topic's history forward over a gap, on the writer thread (see {@link HistoryStore#skipTo}).
 *
 * <p>Why: a replica that catches up copies the records it lacks from another replica, but that
 * replica's retention may already have trimmed the ones right after this replica's last seq. They
 * are gone everywhere a replica trims by the same rules, and a gapless history cannot take the
 * records after them, so the replica drops what it holds and continues where the donor's history
 * starts: the state retention itself would have left had it trimmed through {@code firstSeq - 1}.
 *
 * <p>The result is written exactly as retention writes it, so opening the store needs no new case:
 * no record in the topic's key range and {@code trimmedThrough = firstSeq - 1} (whence lastSeq on
 * open). One atomic, fsynced batch deletes the records and the topic's idempotency keys and writes
 * {@code trimmedThrough}; for a topic the store never saw it names the topic instead. It holds the
 * same locks as {@link TailTruncation}, for the same reasons: the trim lock, because a retention
 * pass that trimmed from the old bounds would write a lower {@code trimmedThrough} over ours (a
 * reopened store would then hand out seqs below {@code firstSeq} again) and publish bounds that no
 * longer exist; the idempotency lock, so key pruning never counts a key this deletes. And it bumps
 * the topic's rewrite counter around the write, so readers can tell (see {@code HistoryReader}).
 */
final class HistorySkip {
    private static final Logger log = LoggerFactory.getLogger(HistorySkip.class);

    private final RocksHandles rocks;
    private final TopicTable table;
    private final Lock idempotencyLock;
    private final Lock trimLock;

    HistorySkip(RocksHandles rocks, TopicTable table, Lock idempotencyLock, Lock trimLock) {
        this.rocks = rocks;
        this.table = table;
        this.idempotencyLock = idempotencyLock;
        this.trimLock = trimLock;
    }

    /**
     * Applies the skip and completes its future.
     *
     * @param newTopicId the id to give the topic if the store does not know it yet
     * @return whether {@code newTopicId} was used (the writer then moves on to the next id)
     */
    boolean run(PendingSkip request, int newTopicId) {
        try {
            boolean created = skip(request.topic(), request.firstSeq(), newTopicId);
            request.future().complete(null);
            return created;
        } catch (RocksDBException e) {
            // Nothing was written (the batch is atomic) and nothing in memory changed.
            request.future().completeExceptionally(new HistoryStoreException("skipping " + request.topic()
                    + " to seq " + request.firstSeq() + " failed: " + e.getMessage(), e));
            return false;
        }
    }

    private boolean skip(String name, long firstSeq, int newTopicId) throws RocksDBException {
        TopicState topic = table.get(name);
        if (topic == null) {
            if (firstSeq == 1) {
                return false; // an unknown topic already continues at 1
            }
            create(name, firstSeq, newTopicId);
            return true;
        }
        trimLock.lock();
        try {
            TopicState.Bounds bounds = topic.bounds();
            Invariants.check(topic.writerLastSeq == bounds.lastSeq(), "topic %s: writer at %s, published %s",
                    name, topic.writerLastSeq, bounds.lastSeq());
            if (bounds.lastSeq() >= firstSeq - 1) {
                return false; // no gap: the history already reaches firstSeq - 1
            }
            long keysRemoved;
            topic.beginRewrite();
            try {
                idempotencyLock.lock();
                try (WriteBatch batch = new WriteBatch()) {
                    // Every key of the topic, also those whose records retention already trimmed: after
                    // the skip this node holds none of the history before firstSeq, and the donor's
                    // transfer brings the keys of what follows.
                    keysRemoved = TailTruncation.deleteKeys(rocks, batch, topic, 0, bounds.lastSeq());
                    byte[] from = StorageFormat.seqKey(topic.id, 0);
                    byte[] to = StorageFormat.seqKey(topic.id, bounds.lastSeq() + 1);
                    batch.deleteRange(rocks.messages, from, to);
                    batch.deleteRange(rocks.idempotencyBySeq, from, to);
                    if (keysRemoved != 0) {
                        batch.merge(rocks.meta, StorageFormat.metaKey(StorageFormat.META_IDEMPOTENCY_KEYS, topic.id),
                                StorageFormat.counterDelta(-keysRemoved));
                    }
                    batch.put(rocks.meta, StorageFormat.metaKey(StorageFormat.META_TRIMMED_THROUGH, topic.id),
                            StorageFormat.bigEndian(firstSeq - 1));
                    rocks.db.write(rocks.syncWrite, batch);
                } finally {
                    idempotencyLock.unlock();
                }
                // The running body total keeps its origin: only differences between retained records count.
                topic.writerLastSeq = firstSeq - 1;
                topic.onSkipped(firstSeq, keysRemoved);
            } finally {
                topic.endRewrite();
            }
            log.info("topic {}: skipped from seq {} to seq {}, dropping {} records ({} body bytes) and {} idempotency keys",
                    name, bounds.lastSeq(), firstSeq, bounds.count(), bounds.bodyBytes(), keysRemoved);
            return false;
        } finally {
            trimLock.unlock();
        }
    }

    /**
     * Names the topic and writes its {@code trimmedThrough} in one batch, then publishes it: readers
     * cannot see a topic before it is in the table, so no rewrite counter is needed.
     */
    private void create(String name, long firstSeq, int id) throws RocksDBException {
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(rocks.topics, StorageFormat.topicName(name), StorageFormat.topicIdValue(id));
            batch.put(rocks.meta, StorageFormat.metaKey(StorageFormat.META_TRIMMED_THROUGH, id),
                    StorageFormat.bigEndian(firstSeq - 1));
            rocks.db.write(rocks.syncWrite, batch);
        }
        table.add(new TopicState(id, name, new TopicState.Bounds(firstSeq, firstSeq - 1, 0, 0), 0));
        log.info("topic {}: created empty, continuing at seq {}", name, firstSeq);
    }
}
