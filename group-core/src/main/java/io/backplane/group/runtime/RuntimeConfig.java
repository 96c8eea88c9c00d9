package io.backplane.group.runtime;

import io.backplane.group.protocol.EngineConfig;
import io.backplane.group.protocol.ProcessId;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Configuration of one group member process, validated at construction.
 *
 * @param self                    this incarnation (a restarted process must use a higher incarnation)
 * @param addresses               every node slot's TCP address, including this one's; empty when the
 *                                transport discovers them ({@link ClusterConfig})
 * @param tickMillis              wall-clock length of one protocol tick
 * @param engine                  protocol configuration, timeouts in ticks
 * @param sendQueueBytesMax       bytes waiting per peer before frames are dropped
 * @param frameBytesMax           largest inbound frame accepted
 * @param reconnectDelayMillisMax ceiling of the reconnect backoff
 * @param inboxFramesMax          received frames waiting for the engine thread before new ones are dropped
 * @param requestQueueMax         application requests waiting for the engine thread before they are refused
 */
public record RuntimeConfig(ProcessId self, Map<Integer, InetSocketAddress> addresses, int tickMillis,
                            EngineConfig engine, long sendQueueBytesMax, int frameBytesMax,
                            long reconnectDelayMillisMax, int inboxFramesMax, int requestQueueMax) {
    public RuntimeConfig {
        addresses = Map.copyOf(addresses);
        if (!addresses.isEmpty() && !addresses.containsKey(self.node())) {
            throw new IllegalArgumentException("addresses has no entry for this node " + self.node());
        }
        if (tickMillis <= 0) {
            throw new IllegalArgumentException("tickMillis must be > 0, was " + tickMillis);
        }
        if (sendQueueBytesMax <= 0 || frameBytesMax <= 0 || reconnectDelayMillisMax <= 0 || inboxFramesMax <= 0
                || requestQueueMax <= 0) {
            throw new IllegalArgumentException("queue bounds and delays must be > 0");
        }
    }

    public RuntimeConfig withEngine(EngineConfig engineConfig) {
        return new RuntimeConfig(self, addresses, tickMillis, engineConfig, sendQueueBytesMax, frameBytesMax,
                reconnectDelayMillisMax, inboxFramesMax, requestQueueMax);
    }

    /**
     * Engine timings for tests on a shared, overloaded machine: suspicion after 2–5 s, so CPU starvation
     * is not mistaken for a crash (DESIGN.md §6).
     */
    public static EngineConfig starvationTolerantEngine() {
        return new EngineConfig(5, 200, 500, 10, 10, 300, 20, 256, 4096, 16384, 4096, 65536, 256,
                java.util.Set.of());
    }

    /** LAN defaults: 10 ms ticks, 64 MiB per peer, 64 MiB frames, 1 s reconnect ceiling. */
    public static RuntimeConfig defaults(ProcessId self, Map<Integer, InetSocketAddress> addresses) {
        return new RuntimeConfig(self, addresses, 10, EngineConfig.defaults(), 64L << 20, 64 << 20, 1000, 1 << 16,
                1 << 14);
    }
}
