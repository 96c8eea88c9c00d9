package io.backplane.history;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;

/**
 * One retention pass over every topic: trims each topic's oldest records per its rule, then drops
 * idempotency keys that are past both bounds. Runs beside the writer, never under its lock: it reads
 * with its own iterators and writes its own batches (a range delete plus the new
 * {@code trimmedThrough}, atomically), then publishes the topic's new bounds.
 *
 * <p>Dropping a key is the one step that must not interleave with the writer: the writer may be
 * rewriting that very key. So the pass reads candidates without any lock, then, per small group of
 * keys, takes the idempotency lock (which the writer holds only around batches carrying keys),
 * re-reads each candidate and deletes it only if it still belongs to the seq that was judged.
 */
final class RetentionTask {
    /** Keys dropped per hold of the idempotency lock: bounds how long an append with a key can wait. */
    static final int KEYS_PER_LOCK_HOLD = 512;

    private final RocksHandles rocks;
    private final TopicTable table;
    private final RetentionRules rules;
    private final HistoryStoreConfig config;
    private final Lock idempotencyLock;
    /** Held while one topic is trimmed, so a tail truncation or skip never changes the bounds a trim works from. */
    private final Lock trimLock;
    private final ByteBuffer keyBuffer = ByteBuffer.allocateDirect(StorageFormat.SEQ_KEY_BYTES);
    private final ByteBuffer headerBuffer = ByteBuffer.allocateDirect(StorageFormat.MESSAGE_HEADER_BYTES);

    RetentionTask(RocksHandles rocks, TopicTable table, HistoryStoreConfig config, Lock idempotencyLock, Lock trimLock) {
        this.rocks = rocks;
        this.table = table;
        this.rules = new RetentionRules(config.retention());
        this.config = config;
        this.idempotencyLock = idempotencyLock;
        this.trimLock = trimLock;
    }

    /** Runs one pass; passes never overlap (the buffers above are this pass's). */
    synchronized void runOnce(long nowMillis) {
        for (TopicState topic : table.all()) {
            try {
                Optional<RetentionRule> rule = rules.ruleFor(topic.name);
                if (rule.isPresent() && RetentionPolicy.mayTrim(rule.get(), topic.bounds())) {
                    trimLock.lock();
                    try {
                        trim(topic, rule.get(), nowMillis);
                    } finally {
                        trimLock.unlock();
                    }
                }
                if (topic.bounds().idempotencyKeys() > config.idempotencyKeysPerTopic()) {
                    dropKeys(topic, nowMillis);
                }
            } catch (RocksDBException e) {
                throw new HistoryStoreException("retention of " + topic.name + " failed: " + e.getMessage(), e);
            }
        }
    }

    private void trim(TopicState topic, RetentionRule rule, long nowMillis) throws RocksDBException {
        TopicState.Bounds bounds = topic.bounds();
        trimWhile(topic, (seq, timestampMillis, retainedBytes) ->
                RetentionPolicy.mustTrim(rule, nowMillis, bounds.lastSeq(), retainedBytes, seq, timestampMillis));
    }

    /** Decides, oldest record first, whether a record goes; the walk stops at the first "no". */
    interface TrimDecision {
        boolean trim(long seq, long timestampMillis, long retainedBodyBytes);
    }

    /**
     * Trims the topic's records up to and including {@code throughSeq} (fewer when the topic ends
     * before it), as retention does: one range delete plus the new {@code trimmedThrough}, under the
     * trim lock, so it never races a tail truncation or skip. What a WAN spool does once its peer LAN
     * has acknowledged entries durably.
     */
    void trimThrough(TopicState topic, long throughSeq) throws RocksDBException {
        trimLock.lock();
        try {
            trimWhile(topic, (seq, timestampMillis, retainedBytes) -> seq <= throughSeq);
        } finally {
            trimLock.unlock();
        }
    }

    private void trimWhile(TopicState topic, TrimDecision decision) throws RocksDBException {
        TopicState.Bounds bounds = topic.bounds();
        if (bounds.count() == 0) {
            return;
        }
        long retainedBytes = bounds.bodyBytes();
        long trimThrough = bounds.firstSeq() - 1;
        try (Slice upperBound = new Slice(StorageFormat.seqKey(topic.id, bounds.lastSeq() + 1));
             ReadOptions options = new ReadOptions().setIterateUpperBound(upperBound).setPrefixSameAsStart(true);
             RocksIterator it = rocks.db.newIterator(rocks.messages, options)) {
            for (it.seek(StorageFormat.seqKey(topic.id, bounds.firstSeq())); it.isValid(); it.next()) {
                keyBuffer.clear();
                it.key(keyBuffer);
                long seq = keyBuffer.getLong(StorageFormat.TOPIC_ID_BYTES);
                if (seq != trimThrough + 1) {
                    throw new IllegalStateException("history of " + topic.name + " has seq " + seq
                            + " where " + (trimThrough + 1) + " was expected");
                }
                headerBuffer.clear();
                int valueBytes = it.value(headerBuffer);
                long timestampMillis = headerBuffer.getLong(StorageFormat.MESSAGE_TIMESTAMP_OFFSET);
                if (!decision.trim(seq, timestampMillis, retainedBytes)) {
                    break;
                }
                retainedBytes -= StorageFormat.bodyLength(valueBytes);
                trimThrough = seq;
            }
            it.status();
        }
        if (trimThrough < bounds.firstSeq()) {
            return;
        }
        long removedBytes = bounds.bodyBytes() - retainedBytes;
        try (WriteBatch batch = new WriteBatch()) {
            batch.deleteRange(rocks.messages, StorageFormat.seqKey(topic.id, 0), StorageFormat.seqKey(topic.id, trimThrough + 1));
            batch.put(rocks.meta, StorageFormat.metaKey(StorageFormat.META_TRIMMED_THROUGH, topic.id),
                    StorageFormat.bigEndian(trimThrough));
            rocks.db.write(rocks.plainWrite, batch);
        }
        topic.onTrimmed(trimThrough, removedBytes);
    }

    private void dropKeys(TopicState topic, long nowMillis) throws RocksDBException {
        long keyCount = topic.bounds().idempotencyKeys();
        List<Candidate> candidates = new ArrayList<>(KEYS_PER_LOCK_HOLD);
        try (Slice upperBound = new Slice(StorageFormat.topicEnd(topic.id));
             ReadOptions options = new ReadOptions().setIterateUpperBound(upperBound);
             RocksIterator it = rocks.db.newIterator(rocks.idempotencyBySeq, options)) {
            long position = 0;
            for (it.seek(StorageFormat.seqKey(topic.id, 0)); it.isValid(); it.next(), position++) {
                byte[] value = it.value();
                if (!RetentionPolicy.mayDropKey(position, keyCount, config.idempotencyKeysPerTopic(),
                        StorageFormat.keyOrderTimestampMillis(value), nowMillis, config.idempotencyRetentionMillis())) {
                    break;
                }
                candidates.add(new Candidate(StorageFormat.seqOf(it.key()),
                        StorageFormat.keyOrderIdempotencyKey(topic.id, value)));
                if (candidates.size() == KEYS_PER_LOCK_HOLD) {
                    drop(topic, candidates);
                    candidates.clear();
                }
            }
            it.status();
        }
        drop(topic, candidates);
    }

    /** A key judged droppable, and the seq it belonged to when judged. */
    private record Candidate(long seq, byte[] idempotencyKey) {
    }

    private void drop(TopicState topic, List<Candidate> candidates) throws RocksDBException {
        if (candidates.isEmpty()) {
            return;
        }
        long dropped = 0;
        idempotencyLock.lock();
        try (WriteBatch batch = new WriteBatch()) {
            for (Candidate candidate : candidates) {
                byte[] entry = rocks.db.get(rocks.idempotency, candidate.idempotencyKey());
                // Rewritten since it was judged: the writer already moved its order entry to the new seq.
                if (entry == null || StorageFormat.idempotencySeq(entry) != candidate.seq()) {
                    continue;
                }
                batch.delete(rocks.idempotency, candidate.idempotencyKey());
                batch.delete(rocks.idempotencyBySeq, StorageFormat.seqKey(topic.id, candidate.seq()));
                dropped++;
            }
            if (dropped == 0) {
                return;
            }
            batch.merge(rocks.meta, StorageFormat.metaKey(StorageFormat.META_IDEMPOTENCY_KEYS, topic.id),
                    StorageFormat.counterDelta(-dropped));
            rocks.db.write(rocks.plainWrite, batch);
            topic.onKeysDropped(dropped);
        } finally {
            idempotencyLock.unlock();
        }
    }
}
