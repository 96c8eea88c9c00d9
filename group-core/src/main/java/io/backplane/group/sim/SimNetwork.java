package io.backplane.group.sim;

import io.backplane.group.protocol.FrameCodec;
import io.backplane.group.protocol.Packet;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A seeded packet network: loss, duplication, delay with a slow path (which reorders), partitions
 * (symmetric or one-way) and clogged links that hold packets until they clear. Every packet goes through
 * {@link FrameCodec} both ways, so the simulator also exercises the wire format.
 */
final class SimNetwork {
    private record InFlight(long deliverTick, long order, byte[] bytes) {
    }

    private final SimScenario scenario;
    private final SplittableRandom random;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>(
            (a, b) -> a.deliverTick != b.deliverTick ? Long.compare(a.deliverTick, b.deliverTick) : Long.compare(a.order, b.order));
    private final boolean[][] blocked;
    /** Directed links down until the fault phase ends (partitions healing does not restore them). */
    private final boolean[][] stuck;
    private final long[] clogUntilTick;
    private long nextOrder;
    private boolean faulty = true;
    long packetsSent;

    SimNetwork(SimScenario scenario, SplittableRandom random) {
        this.scenario = scenario;
        this.random = random;
        this.blocked = new boolean[scenario.nodes()][scenario.nodes()];
        this.stuck = new boolean[scenario.nodes()][scenario.nodes()];
        this.clogUntilTick = new long[scenario.nodes()];
    }

    void send(Packet p, long nowTick) {
        packetsSent++;
        int from = p.from().node();
        int to = p.to().node();
        if (blocked[from][to] || stuck[from][to]) {
            return;
        }
        if (faulty && random.nextInt(100) < scenario.lossPercent()) {
            return;
        }
        byte[] bytes = FrameCodec.encode(p);
        int copies = faulty && random.nextInt(100) < scenario.duplicatePercent() ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            long delay = 1 + random.nextInt(scenario.delayTicksMax());
            if (faulty && random.nextInt(100) < scenario.slowPercent()) {
                delay += random.nextInt(scenario.slowDelayTicksMax());
            }
            long at = Math.max(nowTick + delay, Math.max(clogUntilTick[from], clogUntilTick[to]));
            queue.add(new InFlight(at, nextOrder++, bytes));
        }
        // checked only when enabled, so the profiles without it keep their seeds' executions
        if (faulty && scenario.lateDuplicatePercent() > 0 && random.nextInt(100) < scenario.lateDuplicatePercent()) {
            queue.add(new InFlight(nowTick + 60 + random.nextInt(400), nextOrder++, bytes));
        }
    }

    /** Packets due at or before {@code nowTick}, in a deterministic order. */
    List<Packet> due(long nowTick) {
        List<Packet> out = new ArrayList<>();
        while (!queue.isEmpty() && queue.peek().deliverTick <= nowTick) {
            out.add(FrameCodec.decode(queue.poll().bytes));
        }
        return out;
    }

    void partition(boolean[] sideA, boolean oneWay) {
        for (int a = 0; a < blocked.length; a++) {
            for (int b = 0; b < blocked.length; b++) {
                if (sideA[a] && !sideA[b]) {
                    blocked[a][b] = true;
                    if (!oneWay) {
                        blocked[b][a] = true;
                    }
                }
            }
        }
    }

    void stickLink(int from, int to) {
        stuck[from][to] = true;
    }

    void clog(int node, long untilTick) {
        clogUntilTick[node] = Math.max(clogUntilTick[node], untilTick);
    }

    void heal() {
        for (boolean[] row : blocked) {
            java.util.Arrays.fill(row, false);
        }
        java.util.Arrays.fill(clogUntilTick, 0);
    }

    /** Stops loss, duplication and slow paths: the quiet period of the liveness phase. */
    void quiet() {
        faulty = false;
        heal();
        for (boolean[] row : stuck) {
            java.util.Arrays.fill(row, false);
        }
    }
}
