package io.backplane.group.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How soon {@link Effect.Stable} follows a delivery, and what the stability reports cost in frames, for the
 * three ways of gossiping stability: the periodic default, {@link EngineConfig#promptStability()}, and a
 * stability interval of one tick. Not a test and never asserted: run its {@code main} (test classpath) and
 * read the table (docs/ARCHITECTURE.md §7 quotes it). On {@link LocalCluster} a frame takes one tick, so
 * a latency of 1 tick here is "the report leaves at the tick of the delivery and arrives one hop later";
 * on a LAN a hop is far shorter than the node's 10 ms tick.
 */
public final class StableLatencyBench {
    private static final int WARMUP_TICKS = 50;
    private static final int MEASURED_TICKS = 3000;

    private StableLatencyBench() {
    }

    public static void main(String[] args) {
        System.out.println("members  msgs/tick  mode          frames/msg  stability/msg  stability/tick  "
                + "stable-after-last-delivery mean/max ticks");
        for (int n : new int[] {3, 5}) {
            for (double rate : new double[] {0.1, 1, 10, 100}) {
                for (String mode : new String[] {"interval-10", "prompt", "interval-1"}) {
                    run(n, rate, mode);
                }
            }
        }
    }

    private static EngineConfig config(String mode) {
        EngineConfig d = EngineConfig.defaults();
        return switch (mode) {
            case "interval-10" -> d;
            case "prompt" -> d.withPromptStability(true);
            case "interval-1" -> new EngineConfig(d.heartbeatIntervalTicks(), d.suspectTimeoutTicksMin(),
                    d.suspectTimeoutTicksMax(), d.retransmitIntervalTicks(), 1, d.flushTimeoutTicks(),
                    d.joinRetryTicks(), d.sendWindowMax(), d.pendingRequestsMax(), d.channelUnackedMax(),
                    d.receiveWindowMax(), d.futureFramesMax(), d.retransmitBurstMax(), d.plantedBugs());
            default -> throw new IllegalArgumentException(mode);
        };
    }

    private static void run(int n, double rate, String mode) {
        LocalCluster c = new LocalCluster(n, config(mode));
        long[] frames = new long[2];
        boolean[] counting = new boolean[1];
        c.filter = p -> {
            if (counting[0]) {
                frames[0]++;
                if (p.frame() instanceof Frame.Stability) {
                    frames[1]++;
                }
            }
            return true;
        };
        // per process: tick at which it delivered ABCAST ordinal k (index k-1), and reached Stable k
        List<List<Long>> deliveredAt = new ArrayList<>();
        List<List<Long>> stableAt = new ArrayList<>();
        int[] seenUpTo = new int[n];
        for (int i = 0; i < n; i++) {
            deliveredAt.add(new ArrayList<>());
            stableAt.add(new ArrayList<>());
        }
        double owed = 0;
        long sent = 0;
        int sender = 0;
        for (int tick = 0; tick < WARMUP_TICKS + MEASURED_TICKS + 100; tick++) {
            counting[0] = tick >= WARMUP_TICKS && tick < WARMUP_TICKS + MEASURED_TICKS;
            if (tick < WARMUP_TICKS + MEASURED_TICKS) {
                owed += rate;
                while (owed >= 1) {
                    owed--;
                    c.e(sender).multicast(Kind.ABCAST, new byte[100]);
                    sender = (sender + 1) % n;
                    if (counting[0]) {
                        sent++;
                    }
                }
                for (int i = 0; i < n; i++) {
                    c.collect(c.e(i));
                }
            }
            c.step();
            for (int i = 0; i < n; i++) {
                List<Effect> seen = c.seen.getOrDefault(c.e(i).self(), List.of());
                for (int j = seenUpTo[i]; j < seen.size(); j++) {
                    Effect e = seen.get(j);
                    if (e instanceof Effect.Deliver d && d.kind() == Kind.ABCAST) {
                        deliveredAt.get(i).add((long) tick);
                    } else if (e instanceof Effect.Stable s) {
                        while (stableAt.get(i).size() < s.abcastThrough()) {
                            stableAt.get(i).add((long) tick);
                        }
                    }
                }
                seenUpTo[i] = seen.size();
            }
        }
        // ordinals delivered during the measured ticks, by the last member to deliver them
        long sum = 0;
        long max = 0;
        long count = 0;
        int ordinals = deliveredAt.get(0).size();
        for (int k = 0; k < ordinals; k++) {
            long last = 0;
            boolean everywhere = true;
            for (int i = 0; i < n; i++) {
                if (deliveredAt.get(i).size() <= k) {
                    everywhere = false;
                    break;
                }
                last = Math.max(last, deliveredAt.get(i).get(k));
            }
            if (!everywhere || last < WARMUP_TICKS || last >= WARMUP_TICKS + MEASURED_TICKS) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                if (stableAt.get(i).size() > k) {
                    long lag = stableAt.get(i).get(k) - last;
                    sum += lag;
                    max = Math.max(max, lag);
                    count++;
                }
            }
        }
        System.out.println(String.format(Locale.ROOT, "%7d  %9.1f  %-12s  %10.2f  %13.2f  %14.2f  %10.2f / %d",
                n, rate, mode, frames[0] / (double) sent, frames[1] / (double) sent,
                frames[1] / (double) MEASURED_TICKS, count == 0 ? Double.NaN : sum / (double) count, max));
    }
}
