package io.backplane.history;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Per-topic append-only histories kept in one RocksDB instance (DESIGN.md §3).
 *
 * <p>Appends are group-committed: {@link #append} enqueues and returns at once; the future
 * completes after the batch holding the record is written with WAL fsync. Futures of one topic
 * complete in seq order. Reads are thread-safe and may run concurrently with appends.
 *
 * <p>This is the API the node codes against; {@code RocksHistoryStore} is the implementation.
 */
public interface HistoryStore extends AutoCloseable {

    /** Appends one record durably; completes exceptionally with {@link HistoryStoreException} on I/O failure. */
    CompletableFuture<Void> append(AppendRequest request);

    /**
     * Removes the topic's records after {@code keepThroughSeq}, with the idempotency keys written with
     * them, in one fsynced batch; the next append of the topic is then {@code keepThroughSeq + 1}.
     *
     * <p>This is the one exception to "a seq is never reused", and it exists for replication only: a
     * replica that appended messages the rest of its group never agreed on (it crashed before they
     * were stable) cuts them off before taking the group's history. It is ordered with appends (one
     * queued before it is written first; one queued after it sees the shorter history). A no-op when
     * the topic is unknown or already ends at or before {@code keepThroughSeq}. Fails with
     * {@link IllegalArgumentException} when retention already removed seqs after
     * {@code keepThroughSeq} (history this far back is no longer held, so cannot be re-taken). A key
     * written again at a later seq (never done by the node: a duplicate key answers the first post)
     * is removed if its newest record is removed.
     */
    CompletableFuture<Void> truncateAfter(String topic, long keepThroughSeq);

    /** The topic's bounds, or empty when the topic was never appended to. */
    Optional<TopicInfo> topic(String topic);

    /** Every topic whose name starts with {@code prefix} (use "/" for all), sorted by name. */
    List<TopicInfo> topics(String prefix);

    /** Up to {@code limit} records with seq >= fromSeq, oldest first (starts at the first retained seq if trimmed). */
    List<HistoryRecord> readFrom(String topic, long fromSeq, int limit);

    /** The newest {@code count} records (fewer if fewer exist), oldest first. */
    List<HistoryRecord> readLast(String topic, int count);

    /** The seq of the first retained record with timestamp >= timeMillis, or lastSeq + 1 when none. */
    long seqAtTime(String topic, long timeMillis);

    /**
     * Records with fromSeq <= seq <= toSeq in one chunk bounded by maxRecords and maxBytes
     * (at least one record when any is in range). Call again with {@code nextSeq} until {@code last}.
     */
    HistoryChunk readChunk(String topic, long fromSeq, long toSeq, int maxRecords, int maxBytes);

    /**
     * Like {@link #readChunk}, but each record comes as the {@link AppendRequest} that recreates it on
     * another store, with the idempotency key and value written with it when the key is still kept:
     * what state transfer ships to a replica, which appends the requests in order.
     */
    TransferChunk readTransferChunk(String topic, long fromSeq, long toSeq, int maxRecords, int maxBytes);

    /** The value stored with an idempotency key in the same batch as its record, if still kept. */
    Optional<byte[]> idempotencyEntry(String topic, String idempotencyKey);

    /**
     * Writes a consistent copy of every history to {@code target} (which must not exist yet; its
     * parent must) while the store keeps serving: every append whose future completed before the
     * call is in it, and no append is in it half-way. Files are hard-linked where the file system
     * allows, so it is fast and small until the original compacts. The copy opens as a store of its
     * own: that is the backup, and restoring is opening it. Blocks the calling thread (not the writer).
     *
     * @throws HistoryStoreException when the target exists or cannot be written
     */
    void checkpoint(Path target);

    /** Runs retention once, synchronously (the background task calls this periodically). */
    void applyRetention();

    @Override
    void close();
}
