package io.backplane.node.metrics;

import io.backplane.node.topic.TopicMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The node's Micrometer meters, scraped at {@code /metrics} in Prometheus text format. Counters and
 * timers are lock-free, so the sequencer and the store's writer thread record without contention.
 */
public final class NodeMetrics implements TopicMetrics, io.backplane.node.topic.ClusterMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter posts;
    private final Counter duplicatePosts;
    private final Counter deliveries;
    private final Counter replayed;
    private final Counter slowConsumers;
    private final Counter mirrorDuplicates;
    private final Counter mirrorSkipped;
    private final Timer postToDelivery;
    private final Timer storeWrite;
    private final DistributionSummary storeBatchRecords;
    private final AtomicInteger websocketConnections = new AtomicInteger();

    public NodeMetrics(IntSupplier subscriptions) {
        posts = Counter.builder("backplane.posts").description("messages sequenced and stored").register(registry);
        duplicatePosts = Counter.builder("backplane.posts.duplicate")
                .description("posts answered from an earlier post with the same idempotency key").register(registry);
        deliveries = Counter.builder("backplane.deliveries")
                .description("live messages handed to subscribers (one per subscriber)").register(registry);
        replayed = Counter.builder("backplane.replayed.messages")
                .description("history messages sent to subscribers as replay").register(registry);
        slowConsumers = Counter.builder("backplane.slow.consumers")
                .description("connections closed because their outbound buffer was full").register(registry);
        mirrorDuplicates = Counter.builder("backplane.wan.mirror.duplicates")
                .description("messages of remote subscriptions the local mirror already had").register(registry);
        mirrorSkipped = Counter.builder("backplane.wan.mirror.skipped")
                .description("seqs a mirror moved over because its remote LAN no longer held them").register(registry);
        postToDelivery = Timer.builder("backplane.post.to.delivery")
                .description("from a post's arrival to its hand-off to subscribers")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        storeWrite = Timer.builder("backplane.rocksdb.write")
                .description("one group-commit batch: RocksDB write with WAL fsync")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        storeBatchRecords = DistributionSummary.builder("backplane.rocksdb.batch.records")
                .description("records per group-commit batch").register(registry);
        // Gauges hold their object weakly; the supplier lambda is referenced nowhere else, so without
        // a strong reference it is collected and the gauge reads NaN.
        Gauge.builder("backplane.subscribers", subscriptions, IntSupplier::getAsInt).strongReference(true)
                .description("subscriptions currently registered").register(registry);
        Gauge.builder("backplane.websocket.connections", websocketConnections, AtomicInteger::get)
                .description("open websocket connections").register(registry);
        // JVM and process: heap and threads, CPU, open files (RocksDB and websockets use descriptors),
        // uptime (a restart shows as a reset). GC pause metrics are left out: their binder holds
        // listeners that would have to be closed with the node.
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.FileDescriptorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
    }

    // ---------------------------------------------------------------- cluster (absent on a single node until used)

    private final java.util.concurrent.atomic.AtomicLong viewId = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong viewSize = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong catchUpsRunning = new java.util.concurrent.atomic.AtomicLong();
    private volatile Timer ackLatency;
    private volatile Counter clusterTimeouts;
    private volatile Counter catchUpRecords;
    private volatile Counter rejoins;
    private volatile Counter viewChanges;

    private synchronized void registerClusterMeters() {
        if (ackLatency != null) {
            return;
        }
        io.micrometer.core.instrument.Gauge.builder("backplane.cluster.view.id", viewId, java.util.concurrent.atomic.AtomicLong::get)
                .description("id of the LAN view installed here").register(registry);
        io.micrometer.core.instrument.Gauge.builder("backplane.cluster.view.size", viewSize, java.util.concurrent.atomic.AtomicLong::get)
                .description("members of the LAN view installed here").register(registry);
        io.micrometer.core.instrument.Gauge.builder("backplane.cluster.catchup.running", catchUpsRunning, java.util.concurrent.atomic.AtomicLong::get)
                .description("1 while this node fetches history it lacks from a replica").register(registry);
        clusterTimeouts = Counter.builder("backplane.cluster.posts.timeout")
                .description("posts not acknowledged by a majority in time (answered 503)").register(registry);
        catchUpRecords = Counter.builder("backplane.cluster.catchup.records")
                .description("history records fetched from replicas by state transfer").register(registry);
        rejoins = Counter.builder("backplane.cluster.rejoins")
                .description("times this node lost its place in the LAN and rejoined as a new incarnation").register(registry);
        viewChanges = Counter.builder("backplane.cluster.views")
                .description("LAN views installed here").register(registry);
        ackLatency = Timer.builder("backplane.cluster.ack")
                .description("post received to acknowledged by a majority of the LAN")
                .publishPercentiles(0.5, 0.99).minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    }

    @Override
    public void view(io.backplane.group.protocol.View view) {
        registerClusterMeters();
        viewId.set(view.id());
        viewSize.set(view.size());
        viewChanges.increment();
    }

    @Override
    public void acknowledged(long nanosFromReceipt) {
        registerClusterMeters();
        ackLatency.record(nanosFromReceipt, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public void duplicate() {
        duplicatePost();
    }

    @Override
    public void postTimedOut() {
        registerClusterMeters();
        clusterTimeouts.increment();
    }

    @Override
    public void catchUpStarted() {
        registerClusterMeters();
        catchUpsRunning.set(1);
    }

    @Override
    public void caughtUp(long records) {
        registerClusterMeters();
        catchUpRecords.increment(records);
    }

    @Override
    public void catchUpFinished() {
        catchUpsRunning.set(0);
    }

    @Override
    public void rejoined() {
        registerClusterMeters();
        rejoins.increment();
    }

    /** For meters of other parts of the node (the WAN links). */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    public void websocketOpened() {
        websocketConnections.incrementAndGet();
    }

    public void websocketClosed() {
        websocketConnections.decrementAndGet();
    }

    /** Called by the history store's writer thread after each group-commit batch. */
    public void storeBatchWritten(int records, long nanos) {
        storeWrite.record(nanos, TimeUnit.NANOSECONDS);
        storeBatchRecords.record(records);
    }

    @Override
    public void posted(String topic) {
        posts.increment();
    }

    @Override
    public void duplicatePost() {
        duplicatePosts.increment();
    }

    @Override
    public void mirrorDuplicate() {
        mirrorDuplicates.increment();
    }

    @Override
    public void mirrorSkipped(long count) {
        mirrorSkipped.increment(count);
    }

    @Override
    public void delivered(int subscriberCount, long postToDeliveryNanos) {
        if (subscriberCount > 0) {
            deliveries.increment(subscriberCount);
        }
        postToDelivery.record(postToDeliveryNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void replayed(int messages) {
        replayed.increment(messages);
    }

    @Override
    public void slowConsumer() {
        slowConsumers.increment();
    }
}
