package io.backplane.history;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.rocksdb.Checkpoint;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HistoryStore} on one RocksDB instance (layout in {@code StorageFormat}).
 *
 * <p><b>Threads.</b> One writer thread does every append (group commit, see {@code GroupCommitWriter});
 * one background thread runs retention every {@link HistoryStoreConfig#retentionIntervalMillis()};
 * reads run on the caller's thread and may run concurrently with both.
 *
 * <p><b>Futures.</b> An accepted append's future is completed by the writer thread, after its batch is
 * fsynced and its bounds are visible to reads; futures of one topic complete in seq order. Non-async
 * callbacks therefore usually run on the writer thread (a thread blocked in {@code get()} on the same
 * future may run them instead): they must not block, since every other append waits behind them, and
 * must not call {@link #close()}. Use the {@code *Async} variants to move work elsewhere. When the
 * queue is full or the store is closed, {@code append} returns a future that has already failed.
 *
 * <p><b>Errors.</b> {@link HistoryStoreOverloadedException} when the append queue is full;
 * {@link HistoryStoreException} for I/O failures and use after close; an append whose seq is not the
 * topic's last seq + 1 fails with {@link IllegalStateException} (a caller bug) and nothing else in its
 * batch is affected. If the writer itself finds a broken invariant it stops: every later append fails.
 *
 * <p><b>Lifecycle.</b> OPEN, then CLOSING (no new appends; queued ones are still written; reads
 * still served), then CLOSED (everything fails with "store is closed").
 */
public final class RocksHistoryStore implements HistoryStore {
    private static final Logger log = LoggerFactory.getLogger(RocksHistoryStore.class);
    private static final String CLOSED_MESSAGE = "store is closed";

    private enum Lifecycle { OPEN, CLOSING, CLOSED }

    private final HistoryStoreConfig config;
    private final RocksHandles rocks;
    private final TopicTable table;
    private final AppendQueue queue;
    private final HistoryReader reader;
    private final RetentionTask retention;
    private final Thread writerThread;
    private final ScheduledExecutorService retentionThread;
    /** Reads hold it shared; close takes it exclusively before releasing native handles. */
    private final ReentrantReadWriteLock handlesLock = new ReentrantReadWriteLock();
    private final Object closeLock = new Object();
    private volatile Lifecycle lifecycle = Lifecycle.OPEN;

    private RocksHistoryStore(HistoryStoreConfig config, RocksHandles rocks, TopicTable table) {
        this.config = config;
        this.rocks = rocks;
        this.table = table;
        this.queue = new AppendQueue(config.maxPendingAppends(), config.maxPendingBytes());
        this.reader = new HistoryReader(rocks);
        Lock idempotencyLock = new ReentrantLock();
        Lock trimLock = new ReentrantLock();
        this.retention = new RetentionTask(rocks, table, config, idempotencyLock, trimLock);
        this.writerThread = new Thread(new GroupCommitWriter(rocks, table, queue, config, idempotencyLock, trimLock),
                "history-writer");
        this.writerThread.setDaemon(true);
        this.retentionThread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "history-retention");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Opens (creating if needed) the store in {@code config.dataDir()} and starts its threads.
     *
     * @throws HistoryStoreException when the directory is unusable, in use by another process, or
     *                               holds a history this build cannot read
     */
    public static RocksHistoryStore open(HistoryStoreConfig config) {
        Objects.requireNonNull(config, "config");
        RocksHandles rocks = RocksHandles.open(config.dataDir());
        TopicTable table;
        try {
            table = TopicTable.load(rocks);
        } catch (RocksDBException | RuntimeException e) {
            rocks.close();
            throw new HistoryStoreException("cannot load the histories in " + config.dataDir() + ": " + e.getMessage(), e);
        }
        RocksHistoryStore store = new RocksHistoryStore(config, rocks, table);
        store.writerThread.start();
        store.retentionThread.scheduleWithFixedDelay(store::retentionTick, config.retentionIntervalMillis(),
                config.retentionIntervalMillis(), TimeUnit.MILLISECONDS);
        log.info("history store open in {}: {} topics", config.dataDir(), table.all().size());
        return store;
    }

    @Override
    public CompletableFuture<Void> append(AppendRequest request) {
        Objects.requireNonNull(request, "request");
        return enqueue(PendingAppend.of(request));
    }

    @Override
    public CompletableFuture<Void> truncateAfter(String topic, long keepThroughSeq) {
        Objects.requireNonNull(topic, "topic");
        if (keepThroughSeq < 0) {
            throw new IllegalArgumentException("keepThroughSeq must be >= 0, was " + keepThroughSeq);
        }
        return enqueue(new PendingTruncate(topic, keepThroughSeq, new CompletableFuture<>()));
    }

    @Override
    public CompletableFuture<Void> skipTo(String topic, long firstSeq) {
        Objects.requireNonNull(topic, "topic");
        if (firstSeq < 1) {
            throw new IllegalArgumentException("firstSeq must be >= 1, was " + firstSeq);
        }
        return enqueue(new PendingSkip(topic, firstSeq, new CompletableFuture<>()));
    }

    private CompletableFuture<Void> enqueue(PendingWrite pending) {
        switch (queue.offer(pending)) {
            case ACCEPTED -> { }
            case FULL -> pending.future().completeExceptionally(new HistoryStoreOverloadedException(
                    "append queue is full (at most " + config.maxPendingAppends() + " appends and "
                            + config.maxPendingBytes() + " bytes wait for the disk)"));
            case CLOSED -> pending.future().completeExceptionally(new HistoryStoreException(queue.closedReason()));
        }
        return pending.future();
    }

    @Override
    public Optional<TopicInfo> topic(String topic) {
        Objects.requireNonNull(topic, "topic");
        return whileOpen(() -> Optional.ofNullable(table.get(topic)).map(TopicState::info));
    }

    @Override
    public List<TopicInfo> topics(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return whileOpen(() -> table.withPrefix(prefix));
    }

    @Override
    public List<HistoryRecord> readFrom(String topic, long fromSeq, int limit) {
        Objects.requireNonNull(topic, "topic");
        nonNegative(limit, "limit");
        return whileOpen(() -> {
            TopicState state = table.get(topic);
            return state == null ? List.of() : reader.readFrom(state, fromSeq, limit);
        });
    }

    @Override
    public List<HistoryRecord> readLast(String topic, int count) {
        Objects.requireNonNull(topic, "topic");
        nonNegative(count, "count");
        return whileOpen(() -> {
            TopicState state = table.get(topic);
            return state == null ? List.of() : reader.readLast(state, count);
        });
    }

    @Override
    public long seqAtTime(String topic, long timeMillis) {
        Objects.requireNonNull(topic, "topic");
        return whileOpen(() -> {
            TopicState state = table.get(topic);
            return state == null ? 1L : reader.seqAtTime(state, timeMillis);
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Bytes are body bytes. The range is clipped to what is retained and appended when the read
     * starts, so {@code last} is also true once {@code nextSeq} passes the topic's last seq.
     */
    @Override
    public HistoryChunk readChunk(String topic, long fromSeq, long toSeq, int maxRecords, int maxBytes) {
        Objects.requireNonNull(topic, "topic");
        checkChunkBounds(maxRecords, maxBytes);
        return whileOpen(() -> {
            TopicState state = table.get(topic);
            return state == null
                    ? new HistoryChunk(topic, List.of(), fromSeq, true)
                    : reader.readChunk(state, fromSeq, toSeq, maxRecords, maxBytes);
        });
    }

    @Override
    public TransferChunk readTransferChunk(String topic, long fromSeq, long toSeq, int maxRecords, int maxBytes) {
        Objects.requireNonNull(topic, "topic");
        checkChunkBounds(maxRecords, maxBytes);
        return whileOpen(() -> {
            TopicState state = table.get(topic);
            return state == null
                    ? new TransferChunk(topic, List.of(), fromSeq, true)
                    : reader.readTransferChunk(state, fromSeq, toSeq, maxRecords, maxBytes);
        });
    }

    private static void checkChunkBounds(int maxRecords, int maxBytes) {
        if (maxRecords < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxRecords and maxBytes must be >= 1, were " + maxRecords + " and " + maxBytes);
        }
    }

    @Override
    public Optional<byte[]> idempotencyEntry(String topic, String idempotencyKey) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        return whileOpen(() -> {
            TopicState state = table.get(topic);
            if (state == null) {
                return Optional.empty();
            }
            try {
                byte[] entry = rocks.db.get(rocks.idempotency, StorageFormat.idempotencyKey(state.id, idempotencyKey));
                return Optional.ofNullable(entry).map(StorageFormat::idempotencyCallerValue);
            } catch (RocksDBException e) {
                throw new HistoryStoreException("reading idempotency key of " + topic + " failed: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public void checkpoint(Path target) {
        Objects.requireNonNull(target, "target");
        Path absolute = target.toAbsolutePath().normalize();
        if (Files.exists(absolute)) {
            throw new HistoryStoreException("checkpoint target " + absolute + " already exists; name a new directory");
        }
        if (absolute.getParent() == null || !Files.isDirectory(absolute.getParent())) {
            throw new HistoryStoreException("checkpoint target's parent " + absolute.getParent() + " is not a directory");
        }
        whileOpen(() -> {
            long startNanos = System.nanoTime();
            // RocksDB makes it consistent across column families: live SST files are hard-linked and
            // the WAL (where fsynced but unflushed appends live) is copied up to the current point.
            try (Checkpoint checkpoint = Checkpoint.create(rocks.db)) {
                checkpoint.createCheckpoint(absolute.toString());
            } catch (RocksDBException e) {
                throw new HistoryStoreException("checkpoint to " + absolute + " failed: " + e.getMessage(), e);
            }
            log.info("history checkpoint written to {} in {} ms", absolute,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
            return null;
        });
    }

    @Override
    public void trimThrough(String topic, long throughSeq) {
        Objects.requireNonNull(topic, "topic");
        whileOpen(() -> {
            TopicState state = table.get(topic);
            if (state != null) {
                try {
                    retention.trimThrough(state, throughSeq);
                } catch (RocksDBException e) {
                    throw new HistoryStoreException("trimming " + topic + " failed: " + e.getMessage(), e);
                }
            }
            return null;
        });
    }

    @Override
    public long retainedBytes(String topic) {
        TopicState state = table.get(topic);
        return state == null ? 0 : state.bounds().bodyBytes();
    }

    @Override
    public java.util.Map<String, WanMark> wanMarks() {
        return whileOpen(() -> {
            java.util.Map<String, WanMark> out = new java.util.TreeMap<>();
            byte[] prefix = {StorageFormat.META_WAN_MARK};
            try (org.rocksdb.RocksIterator it = rocks.db.newIterator(rocks.meta)) {
                for (it.seek(prefix); it.isValid() && it.key().length > 0 && it.key()[0] == StorageFormat.META_WAN_MARK; it.next()) {
                    WanMark m = StorageFormat.wanMark(it.key(), it.value());
                    out.put(m.originLan(), m);
                }
                it.status();
            } catch (RocksDBException e) {
                throw new HistoryStoreException("reading WAN marks failed: " + e.getMessage(), e);
            }
            return out;
        });
    }

    @Override
    public void putWanMarks(java.util.Collection<WanMark> marks) {
        whileOpen(() -> {
            try (org.rocksdb.WriteBatch batch = new org.rocksdb.WriteBatch()) {
                for (WanMark m : marks) {
                    batch.put(rocks.meta, StorageFormat.wanMarkKey(m.originLan()), StorageFormat.wanMarkValue(m));
                }
                rocks.db.write(rocks.syncWrite, batch);
            } catch (RocksDBException e) {
                throw new HistoryStoreException("writing WAN marks failed: " + e.getMessage(), e);
            }
            return null;
        });
    }

    /** {@inheritDoc} Uses {@link HistoryStoreConfig#clockMillis()} for "now". */
    @Override
    public void applyRetention() {
        whileOpen(() -> {
            retention.runOnce(config.clockMillis().getAsLong());
            return null;
        });
    }

    private void retentionTick() {
        try {
            applyRetention();
        } catch (HistoryStoreException e) {
            log.warn("retention pass failed; next try in {} ms", config.retentionIntervalMillis(), e);
        } catch (RuntimeException e) {
            // A broken invariant: rethrowing ends the schedule, so retention stops trimming rather
            // than trimming on the basis of state it cannot trust.
            log.error("retention found a broken invariant and stops", e);
            throw e;
        }
    }

    /**
     * Stops taking appends, writes every append already queued (their futures complete normally),
     * stops retention after its current pass, waits for reads in progress, then closes RocksDB.
     * Idempotent; concurrent callers wait for the first.
     *
     * @throws IllegalStateException when called from an append callback (the writer thread)
     */
    @Override
    public void close() {
        if (Thread.currentThread() == writerThread) {
            throw new IllegalStateException("close() called on the history writer thread (from an append callback); "
                    + "it would wait for itself");
        }
        synchronized (closeLock) {
            if (lifecycle != Lifecycle.OPEN) {
                return;
            }
            lifecycle = Lifecycle.CLOSING;
            queue.close(CLOSED_MESSAGE);
            boolean interrupted = joinUninterruptibly(writerThread);
            retentionThread.shutdown();
            interrupted |= awaitUninterruptibly(retentionThread);
            handlesLock.writeLock().lock();
            try {
                lifecycle = Lifecycle.CLOSED;
                rocks.close();
            } finally {
                handlesLock.writeLock().unlock();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            log.info("history store in {} closed", config.dataDir());
        }
    }

    private <T> T whileOpen(Supplier<T> action) {
        Lock lock = handlesLock.readLock();
        lock.lock();
        try {
            if (lifecycle == Lifecycle.CLOSED) {
                throw new HistoryStoreException(CLOSED_MESSAGE);
            }
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    private static void nonNegative(int value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
    }

    private static boolean joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    private static boolean awaitUninterruptibly(ExecutorService executor) {
        boolean interrupted = false;
        while (true) {
            try {
                if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
                    return interrupted;
                }
                log.warn("still waiting for a retention pass to finish before closing");
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }
}
