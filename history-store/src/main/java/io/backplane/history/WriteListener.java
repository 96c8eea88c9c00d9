package io.backplane.history;

/**
 * Told about every group-commit batch the store writes, so the node can record write latency and
 * batch sizes (in Micrometer) without the store depending on a metrics library.
 *
 * <p>Called on the store's single writer thread after the batch is durable and before its appends'
 * futures complete: an implementation must be quick and must not block, or every append waits.
 * An exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface WriteListener {

    /** A listener that records nothing. */
    WriteListener NONE = (records, bytes, writeNanos) -> { };

    /**
     * @param records    appends in the batch
     * @param bytes      size of the RocksDB write batch (keys, values and batch overhead)
     * @param writeNanos time the write took, WAL fsync included
     */
    void onBatchWritten(int records, long bytes, long writeNanos);
}
