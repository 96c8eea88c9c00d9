package io.backplane.node;

import io.backplane.history.HistoryStore;
import io.backplane.history.HistoryStoreException;
import io.backplane.node.config.NodeConfig;
import io.backplane.node.http.HttpApi;
import io.backplane.node.http.HttpVerticle;
import io.backplane.node.metrics.NodeMetrics;
import io.backplane.group.runtime.ClusterConfig;
import io.backplane.node.cluster.ClusterMemberLink;
import io.backplane.node.cluster.ClusterState;
import io.backplane.node.cluster.GroupLink;
import io.backplane.node.topic.LocalTopicService;
import io.backplane.node.topic.Replicator;
import io.backplane.node.topic.TopicServiceConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node: data directory, history store, topic service and the HTTP/websocket front end,
 * started in that order and closed in the reverse one.
 */
public final class BackplaneNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackplaneNode.class);

    private final NodeConfig config;
    private final HistoryStore store;
    private final LocalTopicService topics;
    private final Vertx vertx;
    private final int httpPort;
    /** Null on a single node (no {@code --seeds}). */
    private final Replicator replicator;
    /** Null when the node has no WAN port nor peer (see {@link NodeConfig#wanListen()}). */
    private final io.backplane.node.wan.WanService wan;

    /** Completes when the node asks its process to stop (a drain finished: docs/OPERATIONS.md). */
    private final java.util.concurrent.CompletableFuture<Void> exitRequested;

    private BackplaneNode(NodeConfig config, HistoryStore store, LocalTopicService topics, Vertx vertx, int httpPort,
                          Replicator replicator, io.backplane.node.wan.WanService wan,
                          java.util.concurrent.CompletableFuture<Void> exitRequested) {
        this.wan = wan;
        this.exitRequested = exitRequested;
        this.config = config;
        this.store = store;
        this.topics = topics;
        this.vertx = vertx;
        this.httpPort = httpPort;
        this.replicator = replicator;
    }

    /** Starts a node; throws {@link StartupException} with one clear sentence when it cannot. */
    public static BackplaneNode start(NodeConfig config) {
        Path dataDir = prepareDataDir(config.dataDir());
        NodeIdentity identity = NodeIdentity.advance(dataDir, config.nodeId(), config.lan());
        AtomicReference<LocalTopicService> topicsRef = new AtomicReference<>();
        NodeMetrics metrics = new NodeMetrics(() -> {
            LocalTopicService t = topicsRef.get();
            return t == null ? 0 : t.subscriptionCount();
        });
        HistoryStore store = StoreFactory.open(config, dataDir.resolve("history"), metrics);
        LocalTopicService topics;
        Vertx vertx = null;
        java.util.concurrent.CompletableFuture<Void> exitRequested = new java.util.concurrent.CompletableFuture<>();
        try {
            topics = new LocalTopicService(store, new TopicServiceConfig(config.lan(), config.nodeId(),
                    identity.incarnation(), config.limits().maxInflightPosts(),
                    config.limits().maxSubscriptionsPerConnection(), 256, 1024 * 1024),
                    System::currentTimeMillis, metrics);
            topicsRef.set(topics);
            int eventLoops = Math.max(2, Runtime.getRuntime().availableProcessors());
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops).setWorkerPoolSize(8));
            boolean clustered = !config.seeds().isEmpty();
            // Clustered, the replicator is attached before the HTTP listener opens, so no request is
            // ever served as by a single node; it joins the LAN once the HTTP port is known (peers
            // fetch state transfers from it).
            java.util.concurrent.atomic.AtomicInteger httpPort = new java.util.concurrent.atomic.AtomicInteger();
            Replicator replicator = clustered
                    ? new Replicator(topics, linkFactory(config, dataDir, identity, httpPort),
                            openClusterState(dataDir), metrics, config.idempotencyRetentionMillis(),
                            io.backplane.history.HistoryStoreConfig.DEFAULT_IDEMPOTENCY_KEYS_PER_TOPIC)
                    : null;
            io.backplane.node.wan.WanService wan = config.wanListen()
                    ? new io.backplane.node.wan.WanService(config, vertx, topics, store, replicator, identity.incarnation())
                    : null;
            LocalTopicService service = topics;
            io.backplane.node.http.Drain drain = new io.backplane.node.http.Drain(service::inflightPosts,
                    () -> exitRequested.complete(null));
            HttpApi api = new HttpApi(vertx, config, topics, store, metrics,
                    clustered ? () -> ClusterJson.view(config, replicator) : null, wan)
                    .withOps(new io.backplane.node.http.OpsRoutes(vertx, config.nodeId(), config.lan(), dataDir, store,
                            topics, drain));
            int port = listen(vertx, api, config, eventLoops);
            httpPort.set(port);
            log.info("node {} of LAN {} (incarnation {}) serving http on {}:{}", config.nodeId(), config.lan(),
                    identity.incarnation(), config.bind(), port);
            if (wan != null) {
                try {
                    wan.start();
                } catch (Exception e) {
                    Throwable root = e;
                    while (root.getCause() != null && root.getCause() != root) {
                        root = root.getCause();
                    }
                    throw new StartupException("cannot listen on WAN port " + config.bind() + ":" + config.wanPort() + ": "
                            + (root instanceof BindException ? "address already in use" : String.valueOf(root.getMessage())));
                }
                wan.registerMetrics(metrics.registry());
            }
            if (replicator != null) {
                try {
                    replicator.start();
                } catch (IOException e) {
                    throw new StartupException("cannot listen on cluster port " + config.bind() + ":"
                            + config.clusterPort() + ": " + e.getMessage());
                }
            }
            return new BackplaneNode(config, store, topics, vertx, port, replicator, wan, exitRequested);
        } catch (RuntimeException e) {
            if (vertx != null) {
                vertx.close();
            }
            LocalTopicService t = topicsRef.get();
            if (t != null) {
                t.close();
            }
            store.close();
            throw e;
        }
    }

    private static ClusterState openClusterState(Path dataDir) {
        try {
            return ClusterState.open(dataDir);
        } catch (IllegalStateException e) {
            throw new StartupException(e.getMessage());
        }
    }

    /**
     * Links for successive incarnations: the first uses the identity of this start; a rejoin after
     * exclusion advances it durably first, so a later restart never reuses an incarnation. Every
     * incarnation listens on the same cluster port (the one first chosen, when configured as 0), so
     * the seeds other nodes were given stay right.
     */
    private static GroupLink.Factory linkFactory(NodeConfig config, Path dataDir, NodeIdentity first,
                                                 java.util.concurrent.atomic.AtomicInteger httpPort) {
        int lanSize = lanSize(config);
        java.util.concurrent.atomic.AtomicBoolean used = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger port = new java.util.concurrent.atomic.AtomicInteger(config.clusterPort());
        AtomicReference<ClusterMemberLink> last = new AtomicReference<>();
        return () -> {
            NodeIdentity identity = used.getAndSet(true) ? NodeIdentity.advance(dataDir, config.nodeId(), config.lan()) : first;
            ClusterMemberLink previous = last.get();
            if (previous != null && port.get() == 0) {
                port.set(previous.clusterPort());
            }
            if (identity.incarnation() > Integer.MAX_VALUE) {
                throw new StartupException("incarnation " + identity.incarnation() + " is beyond what the LAN group accepts");
            }
            ClusterConfig cc = ClusterConfig.builder(config.nodeId())
                    .incarnation((int) identity.incarnation())
                    .bindHost(config.bind())
                    .port(port.get())
                    .seeds(seedAddresses(config))
                    .metadata(java.util.Map.of(ClusterMemberLink.HTTP, config.bind() + ":" + httpPort.get()))
                    .expectedSize(lanSize)
                    .tickMillis(CLUSTER_TICK_MILLIS)
                    .engine(clusterEngine())
                    .build();
            ClusterMemberLink link = new ClusterMemberLink(cc);
            last.set(link);
            return link;
        };
    }

    /**
     * The node's group engine runs 2 ms ticks: a message is stored once every member delivered it
     * (Effect.Stable), and members report their deliveries at the first tick after them, so the tick
     * bounds the added latency of every post. The engine's timeouts are in ticks, so they are scaled to
     * keep the LAN defaults in time: heartbeat 50 ms, suspicion after 0.5–2 s, flush retry 1 s.
     */
    static final int CLUSTER_TICK_MILLIS = 2;

    static io.backplane.group.protocol.EngineConfig clusterEngine() {
        int perTenMillis = 10 / CLUSTER_TICK_MILLIS;
        io.backplane.group.protocol.EngineConfig d = io.backplane.group.protocol.EngineConfig.defaults();
        return new io.backplane.group.protocol.EngineConfig(d.heartbeatIntervalTicks() * perTenMillis,
                d.suspectTimeoutTicksMin() * perTenMillis, d.suspectTimeoutTicksMax() * perTenMillis,
                d.retransmitIntervalTicks() * perTenMillis, d.stabilityIntervalTicks() * perTenMillis,
                d.flushTimeoutTicks() * perTenMillis, d.joinRetryTicks() * perTenMillis, d.sendWindowMax(),
                d.pendingRequestsMax(), d.channelUnackedMax(), d.receiveWindowMax(), d.futureFramesMax(),
                d.retransmitBurstMax(), true, java.util.Set.of());
    }

    private static java.util.List<java.net.InetSocketAddress> seedAddresses(NodeConfig config) {
        return ClusterConfig.parseSeeds(String.join(",", config.seeds()));
    }

    /** The configured LAN size: the distinct seeds, plus this node unless it lists itself. */
    static int lanSize(NodeConfig config) {
        java.util.Set<String> seeds = new java.util.TreeSet<>();
        for (String s : config.seeds()) {
            seeds.add(s.trim());
        }
        String self = config.bind() + ":" + config.clusterPort();
        boolean listsItself = seeds.contains(self)
                || (config.bind().equals("127.0.0.1") && seeds.contains("localhost:" + config.clusterPort()));
        return seeds.size() + (listsItself ? 0 : 1);
    }

    /** The WAN port actually listened on, or -1 when the node opens none. */
    public int wanPort() {
        return wan == null ? -1 : wan.port();
    }

    /** The cluster port actually listened on, or -1 on a single node. */
    public int clusterPort() {
        return replicator == null ? -1 : replicator.link().clusterPort();
    }

    /** True once the node serves: at once on a single node; clustered, once it holds the LAN's histories. */
    public boolean isReady() {
        return replicator == null || (replicator.isServing() && topics.unavailableReason() == null);
    }

    private static Path prepareDataDir(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartupException("data directory " + dir + " cannot be created: " + e.getMessage());
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new StartupException("data directory " + dir + " is not a writable directory");
        }
        return dir;
    }

    private static int listen(Vertx vertx, HttpApi api, NodeConfig config, int instances) {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(config.bind())
                .setPort(config.httpPort())
                .setTcpNoDelay(true)
                // Vert.x drops the TCP connection without a word past its own limits, so they sit at
                // twice ours: WsConnection answers a message over our limit with an error and a 1009 close.
                .setMaxWebSocketMessageSize(hardLimit(config.limits().maxWebSocketMessageBytes()))
                .setMaxWebSocketFrameSize(hardLimit(config.limits().maxWebSocketMessageBytes()))
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384);
        // Port 0 ("any") would give every instance its own random port; Vert.x shares one random port
        // among servers that ask for the same negative port.
        if (config.httpPort() == 0) {
            options.setPort(-1);
        }
        java.util.List<HttpVerticle> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
            vertx.deployVerticle(() -> {
                HttpVerticle server = new HttpVerticle(api, new HttpServerOptions(options));
                servers.add(server);
                return server;
            }, new DeploymentOptions().setInstances(instances)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return servers.get(0).actualPort();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            log.debug("http listen failed", cause);
            String why = cause instanceof BindException ? "address already in use" : String.valueOf(cause.getMessage());
            throw new StartupException("cannot listen for http on " + config.bind() + ":" + config.httpPort() + ": " + why);
        } catch (TimeoutException e) {
            throw new StartupException("http listener did not start within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while starting");
        }
    }

    private static int hardLimit(int bytes) {
        return (int) Math.min(Integer.MAX_VALUE, 2L * bytes);
    }

    public int httpPort() {
        return httpPort;
    }

    /**
     * Completes when the node asks to be stopped (after {@code POST /api/v1/admin/drain}); the process
     * then closes it, as on SIGTERM, and exits 0.
     */
    public java.util.concurrent.CompletableFuture<Void> exitRequested() {
        return exitRequested;
    }

    public NodeConfig config() {
        return config;
    }

    /**
     * Clean shutdown: stop accepting connections, let accepted posts become durable, then close the
     * store (which flushes and closes RocksDB).
     */
    @Override
    public void close() {
        log.info("shutting down node {}", config.nodeId());
        if (wan != null) {
            wan.close(); // stop shipping and receiving before the LAN group goes
        }
        if (replicator != null) {
            replicator.close(); // first: the others stop counting on us at once
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("vert.x did not close cleanly: {}", e.toString());
        }
        topics.close();
        try {
            store.close();
        } catch (HistoryStoreException e) {
            log.warn("history store did not close cleanly: {}", e.getMessage());
        }
        log.info("node {} stopped", config.nodeId());
    }
}
