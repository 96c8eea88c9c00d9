package io.backplane.history;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.HashSkipListMemTableConfig;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksObject;
import org.rocksdb.UInt64AddOperator;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open RocksDB instance, its column families and every native option object they need, opened
 * with the tuning below and closed in the one order RocksDB accepts (handles, then the database,
 * then the options). See {@link StorageFormat} for what each column family holds.
 */
final class RocksHandles implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RocksHandles.class);

    static {
        RocksDB.loadLibrary();
    }

    // One cache for all column families, so memory has one bound whatever the mix of topics.
    private static final long BLOCK_CACHE_BYTES = 64L << 20;
    // Histories are read as ranges: bigger blocks mean fewer index entries and better compression,
    // and a point read (seqAtTime's probes) paying for 16 KiB is acceptable.
    private static final long MESSAGE_BLOCK_BYTES = 16L << 10;
    // Large memtables absorb group-commit bursts; several of them let writes continue while one
    // flushes, instead of stalling the writer (and every append) on a flush.
    private static final long MESSAGE_WRITE_BUFFER_BYTES = 64L << 20;
    private static final int MESSAGE_WRITE_BUFFERS = 4;
    private static final long MESSAGE_MEMTABLE_BUCKETS = 1 << 17;
    private static final long SMALL_WRITE_BUFFER_BYTES = 8L << 20;
    // The small column families would otherwise pin old WAL files (and their disk) forever, since a
    // WAL file is freed only when every column family with data in it has flushed.
    private static final long MAX_TOTAL_WAL_BYTES = 256L << 20;

    final RocksDB db;
    final ColumnFamilyHandle messages;
    final ColumnFamilyHandle topics;
    final ColumnFamilyHandle idempotency;
    final ColumnFamilyHandle idempotencyBySeq;
    final ColumnFamilyHandle meta;
    /** Appends: acknowledged only after the WAL is fsynced (CONTRACT.md §4). */
    final WriteOptions syncWrite;
    /**
     * Retention: losing a trim in a crash only brings the trimmed records back (still gapless, still
     * the same bodies); and the next synced append fsyncs the WAL up to and including it anyway.
     */
    final WriteOptions plainWrite;
    private final Path dataDir;
    private final List<ColumnFamilyHandle> handles;
    private final List<RocksObject> options;

    private RocksHandles(Path dataDir, RocksDB db, List<ColumnFamilyHandle> handles, List<RocksObject> options) {
        this.dataDir = dataDir;
        this.db = db;
        this.handles = handles;
        this.options = options;
        this.messages = handles.get(1);
        this.topics = handles.get(2);
        this.idempotency = handles.get(3);
        this.idempotencyBySeq = handles.get(4);
        this.meta = handles.get(5);
        this.syncWrite = own(new WriteOptions().setSync(true));
        this.plainWrite = own(new WriteOptions());
    }

    static RocksHandles open(Path dataDir) {
        prepareDirectory(dataDir);
        List<RocksObject> options = new ArrayList<>();
        try {
            LRUCache cache = add(options, new LRUCache(BLOCK_CACHE_BYTES));
            DBOptions dbOptions = add(options, new DBOptions()
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    // Two cores: more background jobs would only steal CPU from the writer and readers.
                    .setMaxBackgroundJobs(2)
                    // Write SST files out as they grow rather than in one fsync at the end, which
                    // would stall the WAL fsyncs appends are waiting on.
                    .setBytesPerSync(1L << 20)
                    // Every acknowledged batch was fsynced; a torn tail is an unacknowledged batch:
                    // recover up to it and drop it, never serve it.
                    .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                    .setMaxTotalWalSize(MAX_TOTAL_WAL_BYTES)
                    // Required by the hash memtable of `messages`; and writes come from one writer
                    // thread (plus the occasional trim), so parallel memtable inserts would not help.
                    .setAllowConcurrentMemtableWrite(false)
                    .setKeepLogFileNum(5)
                    .setMaxLogFileSize(16L << 20));
            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, add(options, new ColumnFamilyOptions())),
                    new ColumnFamilyDescriptor(bytes(StorageFormat.CF_MESSAGES), messageOptions(cache, options)),
                    new ColumnFamilyDescriptor(bytes(StorageFormat.CF_TOPICS), smallOptions(cache, options)),
                    new ColumnFamilyDescriptor(bytes(StorageFormat.CF_IDEMPOTENCY), idempotencyOptions(cache, options)),
                    new ColumnFamilyDescriptor(bytes(StorageFormat.CF_IDEMPOTENCY_BY_SEQ), smallOptions(cache, options)),
                    new ColumnFamilyDescriptor(bytes(StorageFormat.CF_META), smallOptions(cache, options)
                            .setMergeOperator(add(options, new UInt64AddOperator()))));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            RocksDB db = RocksDB.open(dbOptions, dataDir.toString(), descriptors, handles);
            RocksHandles opened = new RocksHandles(dataDir, db, handles, options);
            try {
                opened.checkFormat();
            } catch (RuntimeException | RocksDBException e) {
                opened.close();
                throw e;
            }
            return opened;
        } catch (RocksDBException e) {
            closeAll(options);
            throw translate(dataDir, e);
        } catch (RuntimeException e) {
            closeAll(options);
            throw e;
        }
    }

    private static ColumnFamilyOptions messageOptions(LRUCache cache, List<RocksObject> options) {
        // A hash of per-topic skiplists (bucketed by the 4-byte topic id) instead of one skiplist:
        // appends to thousands of topics then insert at the end of a small list instead of at
        // random points of one big one (measured: a 4096-append batch over 10,000 topics wrote in
        // 5-8 ms instead of 11-12 ms).
        // The price: an iterator must stay within one topic (every read here is bounded inside its
        // topic's range) unless it asks for total order, as the open-time scan does.
        // No bloom filter: reads are iterator seeks, which a whole-key filter cannot answer.
        // LZ4 because blocks of envelopes (JSON) compress well and LZ4 decompresses fast enough
        // not to slow range reads; compression is per block, so small records do not defeat it.
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setBlockSize(MESSAGE_BLOCK_BYTES);
        return add(options, new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .useFixedLengthPrefixExtractor(StorageFormat.TOPIC_ID_BYTES)
                .setMemTableConfig(new HashSkipListMemTableConfig().setBucketCount(MESSAGE_MEMTABLE_BUCKETS))
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setWriteBufferSize(MESSAGE_WRITE_BUFFER_BYTES)
                .setMaxWriteBufferNumber(MESSAGE_WRITE_BUFFERS)
                .setLevelCompactionDynamicLevelBytes(true));
    }

    private static ColumnFamilyOptions idempotencyOptions(LRUCache cache, List<RocksObject> options) {
        // Point lookups by key, and most of them (the writer's check of a first post) miss: a bloom
        // filter answers a miss without reading a block.
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setFilterPolicy(add(options, new BloomFilter(10)));
        return add(options, new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setWriteBufferSize(SMALL_WRITE_BUFFER_BYTES)
                .setLevelCompactionDynamicLevelBytes(true));
    }

    private static ColumnFamilyOptions smallOptions(LRUCache cache, List<RocksObject> options) {
        return add(options, new ColumnFamilyOptions()
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache))
                .setWriteBufferSize(SMALL_WRITE_BUFFER_BYTES)
                .setLevelCompactionDynamicLevelBytes(true));
    }

    private void checkFormat() throws RocksDBException {
        byte[] key = StorageFormat.metaKey(StorageFormat.META_FORMAT, 0);
        byte[] stored = db.get(meta, key);
        if (stored == null) {
            db.put(meta, syncWrite, key, new byte[] {StorageFormat.FORMAT_VERSION});
        } else if (stored.length != 1 || stored[0] != StorageFormat.FORMAT_VERSION) {
            throw new HistoryStoreException("data directory " + dataDir + " holds history format "
                    + (stored.length == 1 ? stored[0] : "?") + ", this build reads " + StorageFormat.FORMAT_VERSION);
        }
    }

    private static void prepareDirectory(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new HistoryStoreException("data directory " + dir + " is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new HistoryStoreException("cannot create data directory " + dir + ": " + e, e);
        }
        if (!Files.isWritable(dir)) {
            throw new HistoryStoreException("data directory " + dir + " is not writable");
        }
    }

    private static HistoryStoreException translate(Path dir, RocksDBException e) {
        String message = String.valueOf(e.getMessage());
        // RocksDB takes an fcntl lock on <dir>/LOCK; these are its two ways of saying it is taken.
        if (message.contains("lock hold by current process")) {
            return new HistoryStoreException("data directory " + dir + " is already open in this process", e);
        }
        if (message.contains("While lock file")) {
            return new HistoryStoreException("data directory " + dir + " is in use by another process", e);
        }
        return new HistoryStoreException("cannot open history store in " + dir + ": " + message, e);
    }

    private <T extends RocksObject> T own(T object) {
        options.add(object);
        return object;
    }

    private static <T extends RocksObject> T add(List<RocksObject> options, T object) {
        options.add(object);
        return object;
    }

    private static byte[] bytes(String name) {
        return StorageFormat.topicName(name);
    }

    /** Syncs the WAL (retention's unsynced trims included), then releases everything. */
    @Override
    public void close() {
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            log.warn("could not sync the WAL of {} on close; unsynced trims may be redone", dataDir, e);
        }
        for (ColumnFamilyHandle handle : handles) {
            handle.close();
        }
        try {
            db.closeE();
        } catch (RocksDBException e) {
            log.warn("closing the history store in {} reported an error", dataDir, e);
        }
        closeAll(options);
    }

    private static void closeAll(List<RocksObject> objects) {
        for (int i = objects.size() - 1; i >= 0; i--) {
            objects.get(i).close();
        }
    }
}
