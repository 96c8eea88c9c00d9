package io.backplane.group.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Every tunable of one engine, with units in the names, validated once at construction. Times are in
 * ticks: the host decides how long a tick is (the runtime uses {@code tickMillis}, the simulator a step).
 *
 * @param heartbeatIntervalTicks   how often a member heartbeats every other member
 * @param suspectTimeoutTicksMin   a peer silent this long may be suspected (adaptive timeout floor)
 * @param suspectTimeoutTicksMax   adaptive timeout ceiling; also the longest a reliable frame may wait for its ack
 *                                 before the peer is suspected (it may be able to send but not hear)
 * @param retransmitIntervalTicks  unacknowledged reliable frames are resent this often
 * @param stabilityIntervalTicks   how often members gossip what they delivered
 * @param flushTimeoutTicks        a view change phase that makes no progress this long is retried
 * @param joinRetryTicks           a joiner repeats its join request this often
 * @param sendWindowMax            own multicasts not yet stable; beyond it new multicasts wait (flow control)
 * @param pendingRequestsMax       multicasts waiting to be sent; beyond it requests are rejected
 * @param channelUnackedMax        unacknowledged frames to one peer; beyond it the peer is suspected
 * @param receiveWindowMax         out-of-order frames buffered per peer; beyond it they are dropped
 * @param futureFramesMax          frames of a view not yet installed; beyond it the process stops (bug)
 * @param retransmitBurstMax       frames resent to one peer per retransmit interval
 * @param promptStability          also report stability at the first tick after anything was delivered, so
 *                                 {@link Effect.Stable} (and flow control) follow a delivery within about one
 *                                 tick: at most one {@code Stability} frame per peer per tick, and none while
 *                                 nothing is delivered (docs/ARCHITECTURE.md §7 has the measured cost). Off,
 *                                 a member reports only every {@code stabilityIntervalTicks} or once a quarter
 *                                 of {@code sendWindowMax} was delivered
 * @param plantedBugs              test-only deliberate bugs, see {@link PlantedBug}
 */
public record EngineConfig(int heartbeatIntervalTicks, int suspectTimeoutTicksMin, int suspectTimeoutTicksMax,
                           int retransmitIntervalTicks, int stabilityIntervalTicks, int flushTimeoutTicks,
                           int joinRetryTicks, int sendWindowMax, int pendingRequestsMax, int channelUnackedMax,
                           int receiveWindowMax, int futureFramesMax, int retransmitBurstMax,
                           boolean promptStability, Set<PlantedBug> plantedBugs) {
    public EngineConfig {
        // an EnumSet: has() runs several times per message, and a bit test is cheaper than a hashed probe
        plantedBugs = Collections.unmodifiableSet(
                plantedBugs.isEmpty() ? EnumSet.noneOf(PlantedBug.class) : EnumSet.copyOf(plantedBugs));
        positive("heartbeatIntervalTicks", heartbeatIntervalTicks);
        positive("suspectTimeoutTicksMin", suspectTimeoutTicksMin);
        positive("retransmitIntervalTicks", retransmitIntervalTicks);
        positive("stabilityIntervalTicks", stabilityIntervalTicks);
        positive("flushTimeoutTicks", flushTimeoutTicks);
        positive("joinRetryTicks", joinRetryTicks);
        positive("sendWindowMax", sendWindowMax);
        positive("pendingRequestsMax", pendingRequestsMax);
        positive("channelUnackedMax", channelUnackedMax);
        positive("receiveWindowMax", receiveWindowMax);
        positive("futureFramesMax", futureFramesMax);
        positive("retransmitBurstMax", retransmitBurstMax);
        if (suspectTimeoutTicksMin <= 2 * heartbeatIntervalTicks) {
            throw new IllegalArgumentException("suspectTimeoutTicksMin must exceed two heartbeat intervals");
        }
        if (suspectTimeoutTicksMax < suspectTimeoutTicksMin) {
            throw new IllegalArgumentException("suspectTimeoutTicksMax must be >= suspectTimeoutTicksMin");
        }
    }

    /** As the canonical constructor, with {@code promptStability} off (the behaviour before it existed). */
    public EngineConfig(int heartbeatIntervalTicks, int suspectTimeoutTicksMin, int suspectTimeoutTicksMax,
                        int retransmitIntervalTicks, int stabilityIntervalTicks, int flushTimeoutTicks,
                        int joinRetryTicks, int sendWindowMax, int pendingRequestsMax, int channelUnackedMax,
                        int receiveWindowMax, int futureFramesMax, int retransmitBurstMax,
                        Set<PlantedBug> plantedBugs) {
        this(heartbeatIntervalTicks, suspectTimeoutTicksMin, suspectTimeoutTicksMax, retransmitIntervalTicks,
                stabilityIntervalTicks, flushTimeoutTicks, joinRetryTicks, sendWindowMax, pendingRequestsMax,
                channelUnackedMax, receiveWindowMax, futureFramesMax, retransmitBurstMax, false, plantedBugs);
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
    }

    /** Defaults sized for a LAN with a 10 ms tick: heartbeat 50 ms, suspicion after 0.5–2 s. */
    public static EngineConfig defaults() {
        return new EngineConfig(5, 50, 200, 10, 10, 100, 20, 256, 4096, 16384, 4096, 65536, 256, Set.of());
    }

    public EngineConfig withPlantedBugs(Set<PlantedBug> bugs) {
        return new EngineConfig(heartbeatIntervalTicks, suspectTimeoutTicksMin, suspectTimeoutTicksMax,
                retransmitIntervalTicks, stabilityIntervalTicks, flushTimeoutTicks, joinRetryTicks, sendWindowMax,
                pendingRequestsMax, channelUnackedMax, receiveWindowMax, futureFramesMax, retransmitBurstMax,
                promptStability, bugs);
    }

    /** This configuration with {@code promptStability} set: for hosts that wait on {@link Effect.Stable}. */
    public EngineConfig withPromptStability(boolean prompt) {
        return new EngineConfig(heartbeatIntervalTicks, suspectTimeoutTicksMin, suspectTimeoutTicksMax,
                retransmitIntervalTicks, stabilityIntervalTicks, flushTimeoutTicks, joinRetryTicks, sendWindowMax,
                pendingRequestsMax, channelUnackedMax, receiveWindowMax, futureFramesMax, retransmitBurstMax,
                prompt, plantedBugs);
    }

    public boolean has(PlantedBug bug) {
        return plantedBugs.contains(bug);
    }
}
