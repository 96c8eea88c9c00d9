/**
 * The history store: every topic's durable, gapless, append-only history on one node (DESIGN.md §3).
 *
 * <p>This package owns the on-disk format of histories ({@code StorageFormat}), group commit of
 * appends ({@code GroupCommitWriter}), range and chunked reads, retention by count, age and bytes,
 * and the idempotency entries written atomically with their record. It does not assign seqs, decide
 * what a topic name may be, or replicate: the node sequences each topic and hands the store records
 * whose seq is exactly one past the topic's last; the store checks that and keeps the record safe
 * once its append future completes.
 *
 * <p>{@link io.backplane.history.HistoryStore} is the API; {@link io.backplane.history.RocksHistoryStore}
 * implements it on RocksDB, configured by one validated {@link io.backplane.history.HistoryStoreConfig}.
 */
package io.backplane.history;
