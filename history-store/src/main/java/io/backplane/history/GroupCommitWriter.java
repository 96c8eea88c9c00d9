package io.backplane.history;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one writer thread: drains the {@link AppendQueue}, checks each append's seq, builds one
 * WriteBatch of up to {@code maxBatchRecords} appends, writes it with WAL fsync, publishes the new
 * bounds, then completes the batch's futures in queue order (so per topic in seq order).
 *
 * <p>One writer makes the gapless check trivially race-free and turns many small appends into one
 * fsync: while a batch is being synced the next one accumulates in the queue (group commit).
 *
 * <p>Futures complete on this thread. Callbacks must not block, and must not call
 * {@link RocksHistoryStore#close()} (which waits for this thread).
 */
final class GroupCommitWriter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    private final RocksHandles rocks;
    private final TopicTable table;
    private final AppendQueue queue;
    private final HistoryStoreConfig config;
    /** Held while a batch with idempotency keys is built and written; see {@link RetentionTask}. */
    private final Lock idempotencyLock;
    private final TailTruncation truncation;
    private final HistorySkip skip;
    private int nextTopicId;

    private final List<PendingWrite> drained = new ArrayList<>();
    private final List<PendingAppend> accepted = new ArrayList<>();
    /** Per drained append, in queue order: why it was refused, or null when it is in the batch. */
    private final List<RuntimeException> refusals = new ArrayList<>();
    private final List<TopicState> touched = new ArrayList<>();
    private final Map<String, TopicState> created = new LinkedHashMap<>();
    private final Map<ByteBuffer, Long> keySeqsInBatch = new HashMap<>();

    GroupCommitWriter(RocksHandles rocks, TopicTable table, AppendQueue queue, HistoryStoreConfig config,
                      Lock idempotencyLock, Lock trimLock) {
        this.rocks = rocks;
        this.table = table;
        this.queue = queue;
        this.config = config;
        this.idempotencyLock = idempotencyLock;
        this.truncation = new TailTruncation(rocks, table, idempotencyLock, trimLock);
        this.skip = new HistorySkip(rocks, table, idempotencyLock, trimLock);
        this.nextTopicId = table.maxIdAtOpen() + 1;
    }

    @Override
    public void run() {
        try {
            while (queue.drainTo(drained, config.maxBatchRecords(), config.maxBatchBytes())) {
                // A truncation or a skip is drained alone, see AppendQueue.drainTo.
                if (drained.get(0) instanceof PendingTruncate truncate) {
                    truncation.run(truncate);
                } else if (drained.get(0) instanceof PendingSkip pendingSkip) {
                    Invariants.check(nextTopicId > 0, "topic id space exhausted");
                    if (skip.run(pendingSkip, nextTopicId)) {
                        nextTopicId++;
                    }
                } else {
                    writeBatch();
                }
                drained.clear();
            }
        } catch (Throwable t) {
            // A bug or a broken invariant, not an I/O error (those fail one batch, below): stop
            // taking appends rather than go on with a history we no longer trust (fail-stop).
            log.error("history writer stopped; every pending and later append fails", t);
            String reason = "store failed: " + t;
            failAll(drained, reason, t);
            failAll(queue.closeAndTakeAll(reason), reason, t);
            if (t instanceof Error error) {
                throw error;
            }
        }
    }

    private void writeBatch() {
        int firstNewTopicId = nextTopicId;
        long writeNanos;
        try (WriteBatch batch = new WriteBatch()) {
            boolean locked = false;
            try {
                for (PendingWrite write : drained) {
                    PendingAppend append = (PendingAppend) write; // a truncation or skip is never batched
                    if (!locked && append.request().idempotencyKey() != null) {
                        idempotencyLock.lock();
                        locked = true;
                    }
                    refusals.add(add(batch, append));
                }
                if (!accepted.isEmpty()) {
                    for (TopicState topic : touched) {
                        addKeyCount(batch, topic);
                    }
                    long startNanos = System.nanoTime();
                    rocks.db.write(rocks.syncWrite, batch);
                    writeNanos = System.nanoTime() - startNanos;
                } else {
                    writeNanos = 0;
                }
            } catch (RocksDBException e) {
                // An operating error (disk full, I/O error): nothing of this batch was written. Undo
                // its in-memory effects and fail its appends; the next batch tries again.
                rollBack(firstNewTopicId);
                complete(new HistoryStoreException("writing a batch of " + accepted.size() + " appends failed: "
                        + e.getMessage(), e));
                return;
            } finally {
                if (locked) {
                    idempotencyLock.unlock();
                }
            }
            if (!accepted.isEmpty()) {
                publish();
                notifyListener(accepted.size(), batch.getDataSize(), writeNanos);
            }
            complete(null);
        } finally {
            accepted.clear();
            refusals.clear();
            touched.clear();
            created.clear();
            keySeqsInBatch.clear();
        }
    }

    /**
     * Completes the drained appends in queue order (so per topic in seq order, refusals included):
     * refused ones with their refusal, the others normally or, when the write failed, with
     * {@code writeFailure} (also those the failure stopped us from looking at).
     */
    private void complete(HistoryStoreException writeFailure) {
        Invariants.check(writeFailure != null || refusals.size() == drained.size(),
                "%s of %s appends judged", refusals.size(), drained.size());
        for (int i = 0; i < drained.size(); i++) {
            CompletableFuture<Void> future = drained.get(i).future();
            RuntimeException refusal = i < refusals.size() ? refusals.get(i) : null;
            if (refusal != null) {
                future.completeExceptionally(refusal);
            } else if (writeFailure != null) {
                future.completeExceptionally(writeFailure);
            } else {
                future.complete(null);
            }
        }
    }

    /** Adds one append to the batch, or returns why it is refused (and leaves the batch as it was). */
    private RuntimeException add(WriteBatch batch, PendingAppend append) throws RocksDBException {
        AppendRequest request = append.request();
        HistoryRecord record = request.record();
        TopicState topic = table.get(request.topic());
        if (topic == null) {
            topic = created.get(request.topic());
        }
        long expectedSeq = topic == null ? 1 : topic.writerLastSeq + 1;
        if (record.seq() != expectedSeq) {
            return new IllegalStateException("topic " + request.topic()
                    + ": append of seq " + record.seq() + " refused, the next seq is " + expectedSeq
                    + " (appends of one topic must be gapless)");
        }
        if (topic == null) {
            Invariants.check(nextTopicId > 0, "topic id space exhausted");
            topic = TopicState.created(nextTopicId++, request.topic());
            created.put(topic.name, topic);
            batch.put(rocks.topics, StorageFormat.topicName(topic.name), StorageFormat.topicIdValue(topic.id));
        }
        if (!topic.inBatch) {
            topic.inBatch = true;
            touched.add(topic);
        }
        topic.writerRunningBodyBytes += record.body().length;
        batch.put(rocks.messages, StorageFormat.seqKey(topic.id, record.seq()),
                StorageFormat.messageValue(record, topic.writerRunningBodyBytes));
        topic.writerLastSeq = record.seq();
        topic.batchBodyBytes += record.body().length;
        if (request.idempotencyKey() != null) {
            addIdempotencyEntry(batch, topic, request);
        }
        if (request.wanMark() != null) {
            // Same batch as the record: applied and marked together, or neither (WanMark).
            batch.put(rocks.meta, StorageFormat.wanMarkKey(request.wanMark().originLan()),
                    StorageFormat.wanMarkValue(request.wanMark()));
        }
        accepted.add(append);
        return null;
    }

    /**
     * Writes the key's entry and its position in the per-topic key order. A key written again
     * (the caller's choice) takes the new value and moves to the new seq, so the order keeps one
     * entry per live key and "the newest N keys" counts distinct keys.
     */
    private void addIdempotencyEntry(WriteBatch batch, TopicState topic, AppendRequest request) throws RocksDBException {
        long seq = request.record().seq();
        byte[] key = StorageFormat.idempotencyKey(topic.id, request.idempotencyKey());
        Long previousSeq = keySeqsInBatch.get(ByteBuffer.wrap(key));
        if (previousSeq == null) {
            byte[] existing = rocks.db.get(rocks.idempotency, key);
            previousSeq = existing == null ? null : StorageFormat.idempotencySeq(existing);
        }
        if (previousSeq != null) {
            batch.delete(rocks.idempotencyBySeq, StorageFormat.seqKey(topic.id, previousSeq));
        } else {
            topic.batchNewKeys++;
        }
        batch.put(rocks.idempotency, key, StorageFormat.idempotencyValue(seq, request.idempotencyValue()));
        batch.put(rocks.idempotencyBySeq, StorageFormat.seqKey(topic.id, seq),
                StorageFormat.keyOrderValue(request.record().timestampMillis(), key));
        keySeqsInBatch.put(ByteBuffer.wrap(key), seq);
    }

    private void addKeyCount(WriteBatch batch, TopicState topic) throws RocksDBException {
        if (topic.batchNewKeys != 0) {
            batch.merge(rocks.meta, StorageFormat.metaKey(StorageFormat.META_IDEMPOTENCY_KEYS, topic.id),
                    StorageFormat.counterDelta(topic.batchNewKeys));
        }
    }

    /** Makes the written batch visible: bounds first, then new topics, then (caller) the futures. */
    private void publish() {
        for (TopicState topic : touched) {
            topic.onAppended(topic.writerLastSeq, topic.batchBodyBytes, topic.batchNewKeys);
            clearBatchFields(topic);
        }
        for (TopicState topic : created.values()) {
            table.add(topic);
        }
    }

    private void rollBack(int firstNewTopicId) {
        for (TopicState topic : touched) {
            topic.writerLastSeq = topic.bounds().lastSeq();
            topic.writerRunningBodyBytes -= topic.batchBodyBytes;
            clearBatchFields(topic);
        }
        nextTopicId = firstNewTopicId;
    }

    private static void clearBatchFields(TopicState topic) {
        topic.batchBodyBytes = 0;
        topic.batchNewKeys = 0;
        topic.inBatch = false;
    }

    private void notifyListener(int records, long bytes, long writeNanos) {
        try {
            config.writeListener().onBatchWritten(records, bytes, writeNanos);
        } catch (RuntimeException e) {
            log.warn("write listener failed on a batch of {} records; the batch itself is durable", records, e);
        }
    }

    private static void failAll(List<PendingWrite> appends, String message, Throwable cause) {
        HistoryStoreException error = new HistoryStoreException(message, cause);
        for (PendingWrite append : appends) {
            append.future().completeExceptionally(error);
        }
    }
}
