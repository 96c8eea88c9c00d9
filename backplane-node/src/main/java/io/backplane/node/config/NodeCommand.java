package io.backplane.node.config;

import io.backplane.history.RetentionRule;
import io.backplane.node.topic.TopicName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line of CONTRACT.md §2. Options default to null so that "given on the command line"
 * can be told from "not given": flags win over the config file, the file wins over defaults.
 */
@Command(name = "backplane", mixinStandardHelpOptions = true, versionProvider = io.backplane.node.BuildInfo.VersionProvider.class,
        description = "Runs a Backplane node. With no flags: a complete single-node backplane on 127.0.0.1:8080.",
        sortOptions = false)
public final class NodeCommand {
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    @Option(names = "--node-id", paramLabel = "ID", description = "this node's name (default: host name and cluster port)")
    String nodeId;

    @Option(names = "--lan", paramLabel = "NAME", description = "the LAN (cluster) this node belongs to (default: LOCAL)")
    String lan;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "RocksDB histories, spools, node identity (default: ./data)")
    String dataDir;

    @Option(names = "--bind", paramLabel = "ADDR", description = "address all listeners bind to (default: 127.0.0.1)")
    String bind;

    @Option(names = "--http-port", paramLabel = "N", description = "REST, websocket, console, /health, /metrics (default: 8080; 0 = any)")
    Integer httpPort;

    @Option(names = "--cluster-port", paramLabel = "N", description = "group-communication transport (default: 7400; 0 = any)")
    Integer clusterPort;

    @Option(names = "--seeds", paramLabel = "H:P,H:P", description = "cluster ports of other nodes of this LAN")
    String seeds;

    @Option(names = "--wan-port", paramLabel = "N", description = "where peer LANs' spoolers connect (default: 7500; 0 = any)")
    Integer wanPort;

    @Option(names = "--wan-peer", paramLabel = "LAN=H:P[,H:P]", description = "a peer LAN and its nodes' WAN ports (repeatable)")
    List<String> wanPeers;

    @Option(names = "--wan-spool-max-bytes", paramLabel = "SIZE", description = "bound of each WAN spool in bytes (default 1GiB); posts to a LAN whose spool is full get 503")
    String wanSpoolMaxBytes;

    @Option(names = "--wan-spool-max-age", paramLabel = "DURATION", description = "posts to a LAN whose oldest spooled post waits longer get 503 (default 7d)")
    String wanSpoolMaxAge;

    @Option(names = "--config", paramLabel = "FILE", description = "the same settings as a YAML file; flags win over the file")
    Path config;

    @Option(names = "--log-format", paramLabel = "text|json", description = "log lines as text, or one JSON object per line (default: text)")
    String logFormat;

    /** The log format resolved by {@link #resolve}: "text" or "json". */
    private String resolvedLogFormat = "text";

    /** Resolves flags, file and defaults into a validated config. */
    public NodeConfig resolve(String hostName) {
        ConfigFile file = config == null ? ConfigFile.empty() : ConfigFile.load(config);

        resolvedLogFormat = pick(logFormat, file.string("log-format"), "text");
        if (!resolvedLogFormat.equals("text") && !resolvedLogFormat.equals("json")) {
            throw new ConfigException("--log-format '" + resolvedLogFormat + "' must be text or json");
        }
        String resolvedLan = pick(lan, file.string("lan"), NodeConfig.DEFAULT_LAN);
        if (!TopicName.isValidLan(resolvedLan)) {
            throw new ConfigException("--lan '" + resolvedLan + "' must match [A-Za-z0-9-]{1,32}");
        }
        String resolvedBind = pick(bind, file.string("bind"), "127.0.0.1");
        if (resolvedBind.isBlank()) {
            throw new ConfigException("--bind must not be empty");
        }
        int http = port("--http-port", pick(httpPort, file.integer("http-port"), NodeConfig.DEFAULT_HTTP_PORT));
        int cluster = port("--cluster-port", pick(clusterPort, file.integer("cluster-port"), NodeConfig.DEFAULT_CLUSTER_PORT));
        int wan = port("--wan-port", pick(wanPort, file.integer("wan-port"), NodeConfig.DEFAULT_WAN_PORT));

        String resolvedNodeId = pick(nodeId, file.string("node-id"), defaultNodeId(hostName, cluster));
        if (!NODE_ID.matcher(resolvedNodeId).matches()) {
            throw new ConfigException("--node-id '" + resolvedNodeId + "' must match [A-Za-z0-9._-]{1,64}");
        }
        Path resolvedDataDir = Path.of(pick(dataDir, file.string("data-dir"), "./data"));

        List<String> resolvedSeeds = seeds != null ? hostPorts("--seeds", seeds) : seedsFromFile(file);
        Map<String, List<String>> peers = wanPeers != null ? parseWanPeers(wanPeers) : wanPeersFromFile(file);
        if (peers.containsKey(resolvedLan)) {
            throw new ConfigException("--wan-peer names this node's own LAN '" + resolvedLan + "'");
        }

        boolean wanListen = wanPort != null || file.integer("wan-port") != null || !peers.isEmpty();
        String spoolBytes = pick(wanSpoolMaxBytes, file.string("wan-spool-max-bytes"), null);
        String spoolAge = pick(wanSpoolMaxAge, file.string("wan-spool-max-age"), null);
        long maxBytes = spoolBytes == null ? NodeConfig.DEFAULT_WAN_SPOOL_MAX_BYTES : Units.bytes(spoolBytes, "--wan-spool-max-bytes");
        long maxAge = spoolAge == null ? NodeConfig.DEFAULT_WAN_SPOOL_MAX_AGE_MILLIS : Units.millis(spoolAge, "--wan-spool-max-age");
        if (maxBytes <= 0) {
            throw new ConfigException("--wan-spool-max-bytes must be > 0, was '" + spoolBytes + "'");
        }
        if (maxAge <= 0) {
            throw new ConfigException("--wan-spool-max-age must be > 0, was '" + spoolAge + "'");
        }
        return new NodeConfig(resolvedNodeId, resolvedLan, resolvedDataDir, resolvedBind, http, cluster,
                resolvedSeeds, wan, peers, limits(file), retention(file), idempotencyRetention(file), wanListen,
                maxBytes, maxAge);
    }

    /** "text" or "json", as resolved by the last {@link #resolve} (text before it). */
    public String logFormat() {
        return resolvedLogFormat;
    }

    static String defaultNodeId(String hostName, int clusterPort) {
        String host = hostName == null ? "node" : hostName.replaceAll("[^A-Za-z0-9._-]", "-");
        if (host.isEmpty()) {
            host = "node";
        }
        String id = host + "-" + clusterPort;
        return id.length() <= 64 ? id : id.substring(id.length() - 64);
    }

    private static <T> T pick(T flag, T file, T fallback) {
        return flag != null ? flag : file != null ? file : fallback;
    }

    private static int port(String name, int value) {
        if (value < 0 || value > 65535) {
            throw new ConfigException(name + " must be between 0 and 65535, was " + value);
        }
        return value;
    }

    static List<String> hostPorts(String setting, String text) {
        List<String> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String hp = part.trim();
            if (hp.isEmpty()) {
                continue;
            }
            int colon = hp.lastIndexOf(':');
            if (colon <= 0 || colon == hp.length() - 1) {
                throw new ConfigException(setting + " entry '" + hp + "' must be HOST:PORT");
            }
            try {
                int p = Integer.parseInt(hp.substring(colon + 1));
                if (p < 1 || p > 65535) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new ConfigException(setting + " entry '" + hp + "' has a bad port");
            }
            out.add(hp);
        }
        return out;
    }

    private static List<String> seedsFromFile(ConfigFile file) {
        Object raw = file.raw("seeds");
        if (raw == null) {
            return List.of();
        }
        if (raw instanceof List<?> list) {
            List<String> out = new ArrayList<>();
            for (Object o : list) {
                out.addAll(hostPorts(file.where("seeds"), String.valueOf(o)));
            }
            return out;
        }
        return hostPorts(file.where("seeds"), raw.toString());
    }

    static Map<String, List<String>> parseWanPeers(List<String> specs) {
        Map<String, List<String>> peers = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--wan-peer '" + spec + "' must be LAN=HOST:PORT[,HOST:PORT]");
            }
            String peerLan = spec.substring(0, eq).trim();
            if (!TopicName.isValidLan(peerLan)) {
                throw new ConfigException("--wan-peer LAN '" + peerLan + "' must match [A-Za-z0-9-]{1,32}");
            }
            List<String> addresses = hostPorts("--wan-peer " + peerLan, spec.substring(eq + 1));
            if (addresses.isEmpty()) {
                throw new ConfigException("--wan-peer " + peerLan + " lists no HOST:PORT");
            }
            if (peers.put(peerLan, addresses) != null) {
                throw new ConfigException("--wan-peer " + peerLan + " is given twice");
            }
        }
        return peers;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, List<String>> wanPeersFromFile(ConfigFile file) {
        Object raw = file.raw("wan-peers");
        if (raw == null) {
            return Map.of();
        }
        if (!(raw instanceof Map)) {
            throw new ConfigException(file.where("wan-peers") + " must map LAN names to HOST:PORT lists");
        }
        List<String> specs = new ArrayList<>();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) raw).entrySet()) {
            Object v = e.getValue();
            String joined = v instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(v);
            specs.add(e.getKey() + "=" + joined);
        }
        return parseWanPeers(specs);
    }

    @SuppressWarnings("unchecked")
    private static Limits limits(ConfigFile file) {
        Object raw = file.raw("limits");
        if (raw == null) {
            return Limits.DEFAULTS;
        }
        if (!(raw instanceof Map)) {
            throw new ConfigException(file.where("limits") + " must be a mapping");
        }
        Map<String, Object> map = (Map<String, Object>) raw;
        file.checkKeys(map, ConfigFile.LIMIT_KEYS, "limits.");
        Limits d = Limits.DEFAULTS;
        int payload = (int) size(file, map, "max-payload-bytes", d.maxPayloadBytes(), Integer.MAX_VALUE);
        int wsDefault = map.containsKey("max-websocket-message-bytes") ? d.maxWebSocketMessageBytes()
                : (int) Math.min(Integer.MAX_VALUE, (long) payload + 64 * 1024);
        return new Limits(payload,
                (int) size(file, map, "max-websocket-message-bytes", wsDefault, Integer.MAX_VALUE),
                (int) count(file, map, "max-subscriptions-per-connection", d.maxSubscriptionsPerConnection()),
                size(file, map, "max-outbound-bytes-per-connection", d.maxOutboundBytesPerConnection(), Long.MAX_VALUE),
                (int) count(file, map, "max-inflight-posts", d.maxInflightPosts()),
                (int) count(file, map, "max-history-limit", d.maxHistoryLimit()),
                (int) count(file, map, "max-replay-last", d.maxReplayLast()));
    }

    private static long size(ConfigFile file, Map<String, Object> map, String key, long fallback, long max) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        long value = Units.bytes(v.toString(), file.where("limits." + key));
        if (value > max) {
            throw new ConfigException(file.where("limits." + key) + " must be at most " + max);
        }
        return value;
    }

    private static long count(ConfigFile file, Map<String, Object> map, String key, long fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            long value = Long.parseLong(v.toString().trim());
            if (value > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigException(file.where("limits." + key) + " must be an integer, was '" + v + "'");
        }
    }

    @SuppressWarnings("unchecked")
    private static List<RetentionRule> retention(ConfigFile file) {
        Object raw = file.raw("retention");
        if (raw == null) {
            return NodeConfig.DEFAULT_RETENTION;
        }
        if (!(raw instanceof List)) {
            throw new ConfigException(file.where("retention") + " must be a list of {prefix, max-count, max-age, max-bytes}");
        }
        List<RetentionRule> rules = new ArrayList<>();
        for (Object entry : (List<Object>) raw) {
            if (!(entry instanceof Map)) {
                throw new ConfigException(file.where("retention") + " entries must be mappings");
            }
            Map<String, Object> map = (Map<String, Object>) entry;
            file.checkKeys(map, ConfigFile.RETENTION_KEYS, "retention[].");
            Object prefix = map.get("prefix");
            if (prefix == null || !prefix.toString().startsWith("/")) {
                throw new ConfigException(file.where("retention[].prefix") + " must be a topic prefix starting with '/'");
            }
            long maxCount = map.get("max-count") == null ? 0 : count(file, map, "max-count", 0);
            long maxAge = map.get("max-age") == null ? 0 : Units.millis(map.get("max-age").toString(), file.where("retention[].max-age"));
            long maxBytes = map.get("max-bytes") == null ? 0 : Units.bytes(map.get("max-bytes").toString(), file.where("retention[].max-bytes"));
            rules.add(new RetentionRule(prefix.toString(), maxCount, maxAge, maxBytes));
        }
        return rules;
    }

    private static long idempotencyRetention(ConfigFile file) {
        String raw = file.string("idempotency-retention");
        return raw == null ? NodeConfig.DEFAULT_IDEMPOTENCY_RETENTION_MILLIS : Units.millis(raw, file.where("idempotency-retention"));
    }
}
