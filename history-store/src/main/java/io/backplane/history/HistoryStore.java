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

    /**
     * Moves the topic's history forward over a gap: when the topic ends before {@code firstSeq - 1}
     * (or was never appended to), every record it holds is removed, with every idempotency key of
     * the topic, in one fsynced batch, and the next append of the topic is then {@code firstSeq}.
     * Afterwards the topic is exactly what retention leaves when it trims everything before
     * {@code firstSeq}: {@link #topic} reports firstSeq = {@code firstSeq}, lastSeq =
     * {@code firstSeq - 1}, count 0, reads start at the first retained seq, and all of it holds
     * after a restart.
     *
     * <p>This exists for replication only: a replica catching up from another whose retention already
     * trimmed the records right after this replica's last seq can take them from no one, and a
     * gapless history cannot take what follows them, so it restarts where the other's history
     * starts. It is ordered with appends like {@link #truncateAfter}. A no-op when the topic already
     * ends at or after {@code firstSeq - 1}: it never removes a record it would then have to take
     * again, and never moves a topic's next seq backwards. A read concurrent with it sees the
     * history before it or after it, never a mix.
     *
     * @throws IllegalArgumentException at once when {@code firstSeq < 1}
     */
    CompletableFuture<Void> skipTo(String topic, long firstSeq);

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

    /**
     * Removes the topic's records up to and including {@code throughSeq} (only those it holds), as
     * retention would, durably enough for a trim: a trim lost in a crash only keeps records longer.
     * Seqs are never reused after it. For WAN spools: entries go once the peer LAN has them durably.
     * Blocks the calling thread (not the writer).
     */
    void trimThrough(String topic, long throughSeq);

    /** The body bytes the topic retains now (0 when unknown): a WAN spool's depth in bytes. */
    long retainedBytes(String topic);

    /** Every WAN receiver high-water mark, by origin LAN (written with {@link AppendRequest#wanMark()}). */
    java.util.Map<String, WanMark> wanMarks();

    /**
     * Writes WAN marks as they are, fsynced, outside any append: what a replica that takes its LAN's
     * state by transfer does, before it applies anything newer. Blocks the calling thread.
     */
    void putWanMarks(java.util.Collection<WanMark> marks);

    /** Runs retention once, synchronously (the background task calls this periodically). */
    void applyRetention();

    @Override
    void close();
}
