package io.backplane.group.runtime;

import io.backplane.group.protocol.EngineConfig;
import io.backplane.group.protocol.ProcessId;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Configuration of a {@link ClusterMember}: one node that finds its peers from seed addresses
 * (ARCHITECTURE.md §7.2). Validated at construction; build it with {@link #builder(String)}.
 *
 * @param name                   node name, {@code [A-Za-z0-9._-]{1,64}}; its slot is {@link NodeSlots#slotOf}
 * @param incarnation            grows across restarts of this name, {@code 1 .. 2^31-1} (the engine's
 *                               incarnation is an int: a persisted counter, or epoch seconds, both fit)
 * @param bindHost               address the cluster port binds to
 * @param port                   cluster port, 0 = pick a free one ({@link ClusterMember#localPort()})
 * @param advertiseHost          host peers connect to; defaults to {@code bindHost}, required if that is a
 *                               wildcard address
 * @param seeds                  other nodes' cluster addresses (may include this node's own); empty = alone
 * @param metadata               small strings published to every peer (e.g. {@code http=127.0.0.1:8081})
 * @param expectedSize           the LAN's size; founding needs a majority of it (see {@link FoundingRule})
 * @param engine                 protocol timings, in ticks
 * @param tickMillis             wall-clock length of one tick
 * @param gossipIntervalMillis   how often the status is gossiped (also sent at once when it changes)
 * @param statusFreshMillis      a peer's status older than this is ignored by the founding rule
 * @param foundingDelayMillis    how long a new node only tries to join before it may found
 * @param foundingStableMillis   a joining peer counts towards founding only once heard joining this long
 * @param stuckMemberGraceMillis a member heard unavailable for longer stops holding back founding
 */
public record ClusterConfig(String name, int incarnation, String bindHost, int port, String advertiseHost,
                            List<InetSocketAddress> seeds, Map<String, String> metadata, int expectedSize,
                            EngineConfig engine, int tickMillis, long gossipIntervalMillis,
                            long statusFreshMillis, long foundingDelayMillis, long foundingStableMillis,
                            long stuckMemberGraceMillis, long sendQueueBytesMax, int frameBytesMax,
                            long reconnectDelayMillisMax, int inboxFramesMax, int requestQueueMax) {
    public ClusterConfig {
        NodeSlots.requireValidName(name);
        if (incarnation < 1) {
            throw new IllegalArgumentException("incarnation must be >= 1, was " + incarnation);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, was " + port);
        }
        if (advertiseHost == null) {
            if (new InetSocketAddress(bindHost, 0).getAddress().isAnyLocalAddress()) {
                throw new IllegalArgumentException("advertiseHost is required when bindHost is a wildcard ("
                        + bindHost + ")");
            }
            advertiseHost = bindHost;
        }
        seeds = List.copyOf(new LinkedHashSet<>(seeds));
        metadata = Map.copyOf(new TreeMap<>(metadata));
        new NodeInfo(name, incarnation, advertiseHost, 1, metadata); // validates the metadata bounds
        if (expectedSize < 1) {
            throw new IllegalArgumentException("expectedSize must be >= 1, was " + expectedSize);
        }
        positive("tickMillis", tickMillis);
        positive("gossipIntervalMillis", gossipIntervalMillis);
        positive("statusFreshMillis", statusFreshMillis);
        positive("foundingDelayMillis", foundingDelayMillis);
        positive("foundingStableMillis", foundingStableMillis);
        positive("stuckMemberGraceMillis", stuckMemberGraceMillis);
        positive("sendQueueBytesMax", sendQueueBytesMax);
        positive("frameBytesMax", frameBytesMax);
        positive("reconnectDelayMillisMax", reconnectDelayMillisMax);
        positive("inboxFramesMax", inboxFramesMax);
        positive("requestQueueMax", requestQueueMax);
        if (statusFreshMillis <= gossipIntervalMillis) {
            throw new IllegalArgumentException("statusFreshMillis must exceed gossipIntervalMillis");
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
    }

    public int slot() {
        return NodeSlots.slotOf(name);
    }

    public ProcessId self() {
        return new ProcessId(slot(), incarnation);
    }

    public InetSocketAddress bindAddress() {
        return new InetSocketAddress(bindHost, port);
    }

    public String advertisedHost() {
        return advertiseHost;
    }

    /** The engine-thread part, for {@link GroupNode}; its address map is empty (the book has them). */
    RuntimeConfig runtimeConfig() {
        return new RuntimeConfig(self(), Map.of(), tickMillis, engine, sendQueueBytesMax, frameBytesMax,
                reconnectDelayMillisMax, inboxFramesMax, requestQueueMax);
    }

    /** Parses {@code host:port,host:port} (CONTRACT.md §2 {@code --seeds}); blank gives no seeds. */
    public static List<InetSocketAddress> parseSeeds(String seeds) {
        List<InetSocketAddress> out = new ArrayList<>();
        if (seeds == null || seeds.isBlank()) {
            return out;
        }
        for (String s : seeds.split(",")) {
            String hp = s.strip();
            int colon = hp.lastIndexOf(':');
            if (colon <= 0 || colon == hp.length() - 1) {
                throw new IllegalArgumentException("seed must be host:port, was '" + hp + "'");
            }
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("seed port is not a number in '" + hp + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("seed port must be in 1..65535 in '" + hp + "'");
            }
            out.add(new InetSocketAddress(host, port));
        }
        return out;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Defaults: LAN timings, 10 ms ticks, bind 127.0.0.1:0, no seeds, expected size from the seeds. */
    public static final class Builder {
        private final String name;
        private long incarnation = 1;
        private String bindHost = "127.0.0.1";
        private int port;
        private String advertiseHost;
        private List<InetSocketAddress> seeds = List.of();
        private Map<String, String> metadata = Map.of();
        private Integer expectedSize;
        private EngineConfig engine = EngineConfig.defaults();
        private int tickMillis = 10;
        private long gossipIntervalMillis = 250;
        private long statusFreshMillis = 1000;
        private Long foundingDelayMillis;
        private long foundingStableMillis = 500;
        private long stuckMemberGraceMillis = 15_000;
        private long sendQueueBytesMax = 64L << 20;
        private int frameBytesMax = 64 << 20;
        private long reconnectDelayMillisMax = 1000;
        private int inboxFramesMax = 1 << 16;
        private int requestQueueMax = 1 << 14;

        private Builder(String name) {
            this.name = name;
        }

        /** Must fit an int ({@code 1 .. 2^31-1}): the engine's incarnations are ints. */
        public Builder incarnation(long v) {
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("incarnation must be in 1.." + Integer.MAX_VALUE + ", was " + v);
            }
            incarnation = v;
            return this;
        }

        public Builder bindHost(String v) {
            bindHost = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder advertiseHost(String v) {
            advertiseHost = v;
            return this;
        }

        public Builder seeds(List<InetSocketAddress> v) {
            seeds = List.copyOf(v);
            return this;
        }

        public Builder seeds(String hostPorts) {
            return seeds(parseSeeds(hostPorts));
        }

        public Builder metadata(Map<String, String> v) {
            metadata = Map.copyOf(v);
            return this;
        }

        /** Default: distinct seeds, plus this node unless its own bind address is among them (1 if none). */
        public Builder expectedSize(int v) {
            expectedSize = v;
            return this;
        }

        public Builder engine(EngineConfig v) {
            engine = v;
            return this;
        }

        public Builder tickMillis(int v) {
            tickMillis = v;
            return this;
        }

        public Builder gossipIntervalMillis(long v) {
            gossipIntervalMillis = v;
            return this;
        }

        public Builder statusFreshMillis(long v) {
            statusFreshMillis = v;
            return this;
        }

        /** Default: the longer of 1.5 s and four join-retry periods. */
        public Builder foundingDelayMillis(long v) {
            foundingDelayMillis = v;
            return this;
        }

        public Builder foundingStableMillis(long v) {
            foundingStableMillis = v;
            return this;
        }

        public Builder stuckMemberGraceMillis(long v) {
            stuckMemberGraceMillis = v;
            return this;
        }

        public Builder reconnectDelayMillisMax(long v) {
            reconnectDelayMillisMax = v;
            return this;
        }

        public ClusterConfig build() {
            int expected = expectedSize != null ? expectedSize : defaultExpectedSize();
            long foundingDelay = foundingDelayMillis != null ? foundingDelayMillis
                    : Math.max(1500, 4L * engine.joinRetryTicks() * tickMillis);
            return new ClusterConfig(name, (int) incarnation, bindHost, port, advertiseHost, seeds, metadata, expected,
                    engine, tickMillis, gossipIntervalMillis, statusFreshMillis, foundingDelay, foundingStableMillis,
                    stuckMemberGraceMillis, sendQueueBytesMax, frameBytesMax, reconnectDelayMillisMax, inboxFramesMax,
                    requestQueueMax);
        }

        private int defaultExpectedSize() {
            Set<InetSocketAddress> distinct = new LinkedHashSet<>(seeds);
            if (distinct.isEmpty()) {
                return 1;
            }
            InetSocketAddress own = new InetSocketAddress(advertiseHost != null ? advertiseHost : bindHost, port);
            boolean includesSelf = port != 0 && (distinct.contains(own)
                    || distinct.contains(new InetSocketAddress(bindHost, port)));
            return distinct.size() + (includesSelf ? 0 : 1);
        }
    }
}
