package io.backplane.group.protocol;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.SortedSet;

/**
 * Heartbeat failure detector (layer 3) with an adaptive timeout: each peer's timeout is several times
 * the smoothed gap between frames heard from it, clamped to [min, max], so a peer on a slow or lossy
 * link is given more time than a quiet LAN default would allow without slowing detection on a good one.
 */
final class FailureDetector {
    private static final double GAP_WEIGHT = 0.125;
    private static final double GAP_MULTIPLIER = 8.0;

    private static final class PeerState {
        long lastHeardTick;
        double smoothedGapTicks;

        PeerState(long nowTick, double initialGap) {
            lastHeardTick = nowTick;
            smoothedGapTicks = initialGap;
        }
    }

    private final EngineConfig config;
    private final Map<ProcessId, PeerState> peers = new TreeMap<>();

    FailureDetector(EngineConfig config) {
        this.config = config;
    }

    /** Starts watching {@code peer} as if just heard, so a new member is not suspected at once. */
    void track(ProcessId peer, long nowTick) {
        peers.computeIfAbsent(peer, p -> new PeerState(nowTick, config.heartbeatIntervalTicks()));
    }

    void retainOnly(java.util.Collection<ProcessId> members) {
        peers.keySet().retainAll(members);
    }

    void heard(ProcessId peer, long nowTick) {
        PeerState s = peers.get(peer);
        if (s == null) {
            return;
        }
        long gap = nowTick - s.lastHeardTick;
        if (gap > 0) {
            s.smoothedGapTicks += GAP_WEIGHT * (gap - s.smoothedGapTicks);
        }
        s.lastHeardTick = Math.max(s.lastHeardTick, nowTick);
    }

    long timeoutTicks(ProcessId peer) {
        PeerState s = peers.get(peer);
        long adaptive = (long) Math.ceil(s.smoothedGapTicks * GAP_MULTIPLIER);
        return Math.max(config.suspectTimeoutTicksMin(), Math.min(config.suspectTimeoutTicksMax(), adaptive));
    }

    SortedSet<ProcessId> suspects(long nowTick) {
        SortedSet<ProcessId> out = new TreeSet<>();
        for (Map.Entry<ProcessId, PeerState> e : peers.entrySet()) {
            if (nowTick - e.getValue().lastHeardTick > timeoutTicks(e.getKey())) {
                out.add(e.getKey());
            }
        }
        return out;
    }
}
