package io.backplane.node.config;

import io.backplane.history.RetentionRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a node runs with, resolved from flags, the YAML file and defaults, and validated once
 * (STYLE.md habit 12). Ports may be 0 ("pick a free port"). {@code wanListen}: the WAN port is
 * opened when a WAN port or a peer LAN is configured (a node of a LAN without WAN links opens none,
 * so nodes on one machine do not compete for the default port).
 */
public record NodeConfig(String nodeId, String lan, Path dataDir, String bind, int httpPort, int clusterPort,
                         List<String> seeds, int wanPort, Map<String, List<String>> wanPeers, Limits limits,
                         List<RetentionRule> retention, long idempotencyRetentionMillis, boolean wanListen,
                         long wanSpoolMaxBytes, long wanSpoolMaxAgeMillis) {

    public static final String DEFAULT_LAN = "LOCAL";
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_CLUSTER_PORT = 7400;
    public static final int DEFAULT_WAN_PORT = 7500;
    /** Default retention: the newest million messages of each topic, kept at most 7 days. */
    public static final List<RetentionRule> DEFAULT_RETENTION =
            List.of(new RetentionRule("/", 1_000_000, 7L * 24 * 3600 * 1000, 0));
    public static final long DEFAULT_IDEMPOTENCY_RETENTION_MILLIS = 24L * 3600 * 1000;
    /** Default bound of one WAN spool: 1 GiB of posts … */
    public static final long DEFAULT_WAN_SPOOL_MAX_BYTES = 1024L * 1024 * 1024;
    /** … or a post waiting 7 days for its peer LAN; past either, posts to that LAN get 503. */
    public static final long DEFAULT_WAN_SPOOL_MAX_AGE_MILLIS = 7L * 24 * 3600 * 1000;

    public NodeConfig {
        seeds = List.copyOf(seeds);
        wanPeers = Map.copyOf(wanPeers);
        retention = List.copyOf(retention);
    }
}
