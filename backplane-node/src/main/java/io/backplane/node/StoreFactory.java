package io.backplane.node;

import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreConfig;
import io.backplane.history.HistoryStoreException;
import io.backplane.history.RocksHistoryStore;
import io.backplane.node.config.NodeConfig;
import io.backplane.node.metrics.NodeMetrics;
import java.nio.file.Path;

/** Opens the node's history store with the node's retention, idempotency and metrics settings. */
final class StoreFactory {
    private StoreFactory() {
    }

    /** How much longer than the decision window a clustered node's store keeps idempotency keys. */
    static final long CLUSTER_KEY_MARGIN_MILLIS = 3_600_000L;

    static HistoryStore open(NodeConfig config, Path dir, NodeMetrics metrics) {
        HistoryStoreConfig storeConfig = HistoryStoreConfig.defaults(dir)
                .withRetention(config.retention())
                // Clustered, whether a key still counts is decided by the same rule at every replica
                // (Replicator.answeredBefore): the store must keep keys past that window, whenever its
                // own pruning runs and whatever the clocks say, so it keeps them an hour longer.
                .withIdempotency(config.idempotencyRetentionMillis() + (config.seeds().isEmpty() ? 0 : CLUSTER_KEY_MARGIN_MILLIS),
                        HistoryStoreConfig.DEFAULT_IDEMPOTENCY_KEYS_PER_TOPIC)
                // The store's queue must hold every post the topic service lets in, so that only the
                // byte bound can refuse an append (the service then answers 429).
                .withPendingLimits(config.limits().maxInflightPosts() + 1024, HistoryStoreConfig.DEFAULT_MAX_PENDING_BYTES)
                .withWriteListener((records, bytes, nanos) -> metrics.storeBatchWritten(records, nanos));
        try {
            return RocksHistoryStore.open(storeConfig);
        } catch (HistoryStoreException e) {
            throw new StartupException("data directory " + config.dataDir() + ": " + e.getMessage());
        }
    }
}
