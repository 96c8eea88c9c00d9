package io.backplane.history;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Everything {@link RocksHistoryStore} can be told, validated once before it opens (STYLE.md habit 12).
 * Start from {@link #defaults(Path)} and change what differs with the {@code with*} methods.
 *
 * @param dataDir                    the RocksDB directory; created if missing; one process at a time
 * @param retention                  retention rules, the longest matching prefix wins; a topic no rule
 *                                   matches keeps everything
 * @param retentionIntervalMillis    pause between two background retention passes
 * @param maxBatchRecords            most appends in one group-commit write
 * @param maxBatchBytes              most body bytes in one group-commit write (a batch always takes at
 *                                   least one append, however large)
 * @param maxPendingAppends          most appends waiting for the writer; beyond it an append fails at
 *                                   once with {@link HistoryStoreOverloadedException}
 * @param maxPendingBytes            most body and idempotency-value bytes waiting for the writer; same
 *                                   overflow policy (an append is always taken when the queue is empty)
 * @param idempotencyRetentionMillis an idempotency key is kept at least this long after its record's
 *                                   timestamp ...
 * @param idempotencyKeysPerTopic    ... and while it is among its topic's newest this-many keys: it is
 *                                   dropped only when both bounds are passed
 * @param writeListener              told about every batch written (metrics); {@link WriteListener#NONE}
 * @param clockMillis                wall-clock time in epoch millis, for age retention; tests pass
 *                                   their own clock
 */
public record HistoryStoreConfig(
        Path dataDir,
        List<RetentionRule> retention,
        long retentionIntervalMillis,
        int maxBatchRecords,
        long maxBatchBytes,
        int maxPendingAppends,
        long maxPendingBytes,
        long idempotencyRetentionMillis,
        int idempotencyKeysPerTopic,
        WriteListener writeListener,
        LongSupplier clockMillis) {

    public static final long DEFAULT_RETENTION_INTERVAL_MILLIS = 5_000;
    public static final int DEFAULT_MAX_BATCH_RECORDS = 4_096;
    public static final long DEFAULT_MAX_BATCH_BYTES = 8L << 20;
    public static final int DEFAULT_MAX_PENDING_APPENDS = 65_536;
    public static final long DEFAULT_MAX_PENDING_BYTES = 256L << 20;
    /** CONTRACT.md §4: a retry is recognised within at least 24 h ... */
    public static final long DEFAULT_IDEMPOTENCY_RETENTION_MILLIS = 24L * 3600 * 1000;
    /** ... or among the last 100 000 keys per topic. */
    public static final int DEFAULT_IDEMPOTENCY_KEYS_PER_TOPIC = 100_000;

    public HistoryStoreConfig {
        if (dataDir == null) {
            throw new IllegalArgumentException("HistoryStoreConfig.dataDir must be set");
        }
        if (retention == null) {
            throw new IllegalArgumentException("HistoryStoreConfig.retention must not be null (use an empty list)");
        }
        retention = List.copyOf(retention);
        Set<String> prefixes = new HashSet<>();
        for (RetentionRule rule : retention) {
            if (!prefixes.add(rule.topicPrefix())) {
                throw new IllegalArgumentException(
                        "HistoryStoreConfig.retention has two rules for prefix " + rule.topicPrefix());
            }
        }
        positive(retentionIntervalMillis, "retentionIntervalMillis");
        positive(maxBatchRecords, "maxBatchRecords");
        positive(maxBatchBytes, "maxBatchBytes");
        positive(maxPendingAppends, "maxPendingAppends");
        positive(maxPendingBytes, "maxPendingBytes");
        if (idempotencyRetentionMillis < 0) {
            throw new IllegalArgumentException(
                    "HistoryStoreConfig.idempotencyRetentionMillis must be >= 0, was " + idempotencyRetentionMillis);
        }
        if (idempotencyKeysPerTopic < 0) {
            throw new IllegalArgumentException(
                    "HistoryStoreConfig.idempotencyKeysPerTopic must be >= 0, was " + idempotencyKeysPerTopic);
        }
        if (writeListener == null) {
            throw new IllegalArgumentException("HistoryStoreConfig.writeListener must not be null (use WriteListener.NONE)");
        }
        if (clockMillis == null) {
            throw new IllegalArgumentException("HistoryStoreConfig.clockMillis must not be null");
        }
    }

    /** The defaults above, no retention rule (keep everything), the system clock. */
    public static HistoryStoreConfig defaults(Path dataDir) {
        return new HistoryStoreConfig(dataDir, List.of(), DEFAULT_RETENTION_INTERVAL_MILLIS,
                DEFAULT_MAX_BATCH_RECORDS, DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_PENDING_APPENDS,
                DEFAULT_MAX_PENDING_BYTES, DEFAULT_IDEMPOTENCY_RETENTION_MILLIS,
                DEFAULT_IDEMPOTENCY_KEYS_PER_TOPIC, WriteListener.NONE, System::currentTimeMillis);
    }

    public HistoryStoreConfig withRetention(List<RetentionRule> rules) {
        return new HistoryStoreConfig(dataDir, rules, retentionIntervalMillis, maxBatchRecords, maxBatchBytes,
                maxPendingAppends, maxPendingBytes, idempotencyRetentionMillis, idempotencyKeysPerTopic,
                writeListener, clockMillis);
    }

    public HistoryStoreConfig withRetentionIntervalMillis(long millis) {
        return new HistoryStoreConfig(dataDir, retention, millis, maxBatchRecords, maxBatchBytes,
                maxPendingAppends, maxPendingBytes, idempotencyRetentionMillis, idempotencyKeysPerTopic,
                writeListener, clockMillis);
    }

    public HistoryStoreConfig withBatchLimits(int records, long bytes) {
        return new HistoryStoreConfig(dataDir, retention, retentionIntervalMillis, records, bytes,
                maxPendingAppends, maxPendingBytes, idempotencyRetentionMillis, idempotencyKeysPerTopic,
                writeListener, clockMillis);
    }

    public HistoryStoreConfig withPendingLimits(int appends, long bytes) {
        return new HistoryStoreConfig(dataDir, retention, retentionIntervalMillis, maxBatchRecords, maxBatchBytes,
                appends, bytes, idempotencyRetentionMillis, idempotencyKeysPerTopic, writeListener, clockMillis);
    }

    public HistoryStoreConfig withIdempotency(long retentionMillis, int keysPerTopic) {
        return new HistoryStoreConfig(dataDir, retention, retentionIntervalMillis, maxBatchRecords, maxBatchBytes,
                maxPendingAppends, maxPendingBytes, retentionMillis, keysPerTopic, writeListener, clockMillis);
    }

    public HistoryStoreConfig withWriteListener(WriteListener listener) {
        return new HistoryStoreConfig(dataDir, retention, retentionIntervalMillis, maxBatchRecords, maxBatchBytes,
                maxPendingAppends, maxPendingBytes, idempotencyRetentionMillis, idempotencyKeysPerTopic,
                listener, clockMillis);
    }

    public HistoryStoreConfig withClockMillis(LongSupplier clock) {
        return new HistoryStoreConfig(dataDir, retention, retentionIntervalMillis, maxBatchRecords, maxBatchBytes,
                maxPendingAppends, maxPendingBytes, idempotencyRetentionMillis, idempotencyKeysPerTopic,
                writeListener, clock);
    }

    private static void positive(long value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException("HistoryStoreConfig." + name + " must be >= 1, was " + value);
        }
    }
}
