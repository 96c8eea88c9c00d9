/**
 * JMH benchmarks of the history store's hot paths: durable group-commit appends and range reads.
 * They never run in {@code mvn verify}; run them with the {@code bench} profile (see docs/BENCHMARKS.md).
 */
package io.backplane.history.bench;
