package io.backplane.group.runtime;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.EngineConfig;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One member process of the group-core benchmark (run by {@code group-core/bin/bench-group}; not a test and
 * never asserted). Every member founds view 1 of the same group, and
 * <ul>
 *   <li>{@code throughput}: from {@code startEpochMillis} sends 1,000-byte multicasts of one kind as fast as
 *       its window allows (at most {@code window} of its own multicasts sent and not yet delivered back to
 *       it), counts every delivery between the end of the warm-up and the end of the run, records the
 *       latency from the sender's {@code multicast} call to each delivery at this member (wall clock,
 *       comparable across processes on one host), and prints one {@code RESULT} line;</li>
 *   <li>{@code viewchange}: sends a light load (one multicast each {@code sendEveryMillis}) and prints
 *       {@code INSTALL epochMicros viewId size} for every view it installs, so the script can time a view
 *       change from the instant it SIGKILLs a member. The failure detector's timeout is fixed (min = max)
 *       at {@code fdTimeoutMillis}, so "the failure-detection timeout" is one number.</li>
 * </ul>
 * Both modes exit by themselves after {@code runSeconds}, so nothing runs unbounded.
 *
 * <p>Usage: {@code GroupBenchMember throughput node addresses kind startEpochMillis warmupSeconds
 * measureSeconds window [senders]} (only nodes below {@code senders} send; default all) or {@code GroupBenchMember viewchange node addresses startEpochMillis fdTimeoutMillis
 * sendEveryMillis
 * runSeconds}, where {@code startEpochMillis} is the agreed instant at which every member starts its engine.
 */
public final class GroupBenchMember {
    private static final int PAYLOAD_BYTES = 1000;
    private static final int TICK_MILLIS = 10;

    private GroupBenchMember() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "throughput" -> throughput(Integer.parseInt(args[1]), parse(args[2]), Kind.valueOf(args[3]),
                    Long.parseLong(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]),
                    Integer.parseInt(args[7]), args.length > 8 ? Integer.parseInt(args[8]) : Integer.MAX_VALUE);
            case "viewchange" -> viewChange(Integer.parseInt(args[1]), parse(args[2]), Long.parseLong(args[3]),
                    Integer.parseInt(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]));
            default -> throw new IllegalArgumentException("mode must be throughput or viewchange: " + args[0]);
        }
        System.exit(0);
    }

    private static Map<Integer, InetSocketAddress> parse(String hostPorts) {
        Map<Integer, InetSocketAddress> addresses = new HashMap<>();
        String[] hp = hostPorts.split(",");
        for (int i = 0; i < hp.length; i++) {
            String[] p = hp[i].split(":");
            addresses.put(i, new InetSocketAddress(p[0], Integer.parseInt(p[1])));
        }
        return addresses;
    }

    private static View foundingView(int members) {
        List<ProcessId> ids = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            ids.add(new ProcessId(i, 1));
        }
        return new View(1, ids);
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static void throughput(int node, Map<Integer, InetSocketAddress> addresses, Kind kind,
                                   long startEpochMillis, int warmupSeconds, int measureSeconds, int window,
                                   int senders)
            throws Exception {
        ProcessId self = new ProcessId(node, 1);
        AtomicLong delivered = new AtomicLong();
        AtomicLong ownDelivered = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean waiting = new java.util.concurrent.atomic.AtomicBoolean();
        Thread senderThread = Thread.currentThread();
        LatencyHistogram latency = new LatencyHistogram();
        // failure timeouts of 2-5 s: on the shared 2-core machine a starved member must not be excluded mid-run
        EngineConfig t = RuntimeConfig.starvationTolerantEngine();
        // -Dbench.sendWindowMax=N tries another flow-control window than the configuration's
        int sendWindowMax = Integer.getInteger("bench.sendWindowMax", t.sendWindowMax());
        EngineConfig engine = new EngineConfig(t.heartbeatIntervalTicks(), t.suspectTimeoutTicksMin(),
                t.suspectTimeoutTicksMax(), t.retransmitIntervalTicks(), t.stabilityIntervalTicks(),
                t.flushTimeoutTicks(), t.joinRetryTicks(), sendWindowMax, Math.max(t.pendingRequestsMax(), sendWindowMax),
                t.channelUnackedMax(), t.receiveWindowMax(), t.futureFramesMax(), t.retransmitBurstMax(), Set.of());
        RuntimeConfig config = RuntimeConfig.defaults(self, addresses).withEngine(engine);
        GroupNode member = new GroupNode(config, foundingView(addresses.size()),
                e -> {
                    if (e instanceof Effect.Deliver d) {
                        // lazySet: only this (engine) thread writes; the sender thread reads
                        delivered.lazySet(delivered.get() + 1);
                        ByteBuffer b = ByteBuffer.wrap(d.payload());
                        int sender = b.getInt();
                        latency.record(epochNanos() - b.getLong());
                        if (sender == node) {
                            long own = ownDelivered.get() + 1;
                            ownDelivered.lazySet(own);
                            if (own % Math.max(1, window / 4) == 0 && waiting.get()) {
                                LockSupport.unpark(senderThread);
                            }
                        }
                    }
                });
        long startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startEpochMillis - System.currentTimeMillis());
        // Every member starts its engine at one agreed instant, after its JVM is up: a member whose JVM is
        // slow to start must not look crashed to the others (the failure timeout is 0.5 s).
        sleepUntil(startNanos - TimeUnit.SECONDS.toNanos(1));
        member.start();
        long warmEndNanos = startNanos + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long endNanos = warmEndNanos + TimeUnit.SECONDS.toNanos(measureSeconds);
        sleepUntil(startNanos);
        long sent = 0;
        long deliveredAtWarmEnd = -1;
        long rejected = 0;
        CpuUse cpuAtWarmEnd = null;
        while (true) {
            long now = System.nanoTime();
            if (now - endNanos >= 0) {
                break;
            }
            if (deliveredAtWarmEnd < 0 && now - warmEndNanos >= 0) {
                deliveredAtWarmEnd = delivered.get();
                latency.reset();
                cpuAtWarmEnd = CpuUse.sample();
            }
            if (node >= senders) {
                // a receiving-only member (to measure a lone sender's latency): nothing to send
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            if (sent - ownDelivered.get() >= window) {
                // window full: sleep until the engine thread has delivered a quarter window of our own
                // messages (a short timed park per check cost a tenth of a core in wake-ups)
                waiting.set(true);
                if (sent - ownDelivered.get() >= window) {
                    LockSupport.parkNanos(1_000_000);
                }
                waiting.set(false);
                continue;
            }
            byte[] payload = new byte[PAYLOAD_BYTES];
            ByteBuffer.wrap(payload).putInt(node).putLong(epochNanos());
            try {
                member.multicast(kind, payload);
                sent++;
            } catch (IllegalStateException full) {
                rejected++;
                LockSupport.parkNanos(50_000);
            }
        }
        long deliveredAtEnd = delivered.get();
        CpuUse cpu = CpuUse.sample().minus(cpuAtWarmEnd, measureSeconds);
        LatencyHistogram.Snapshot lat = latency.snapshot();
        double perSecond = (deliveredAtEnd - deliveredAtWarmEnd) / (double) measureSeconds;
        System.out.printf("RESULT node=%d kind=%s deliveries_per_s=%.0f p50_ms=%.2f p99_ms=%.2f samples=%d sent=%d "
                        + "request_queue_full=%d transport_dropped=%d cpu=%s view=%s%n", node, kind, perSecond, lat.p50Millis(),
                lat.p99Millis(), lat.count(), sent, rejected, member.droppedFrames(), cpu, member.view());
        System.out.flush();
        // let slower members finish their measured interval before this member's departure looks like a crash
        Thread.sleep(2000);
        member.close();
    }

    private static void viewChange(int node, Map<Integer, InetSocketAddress> addresses, long startEpochMillis,
                                   int fdTimeoutMillis, int sendEveryMillis, int runSeconds) throws Exception {
        ProcessId self = new ProcessId(node, 1);
        int fdTicks = fdTimeoutMillis / TICK_MILLIS;
        EngineConfig d = EngineConfig.defaults();
        EngineConfig engine = new EngineConfig(d.heartbeatIntervalTicks(), fdTicks, fdTicks,
                d.retransmitIntervalTicks(), d.stabilityIntervalTicks(), d.flushTimeoutTicks(), d.joinRetryTicks(),
                d.sendWindowMax(), d.pendingRequestsMax(), d.channelUnackedMax(), d.receiveWindowMax(),
                d.futureFramesMax(), d.retransmitBurstMax(), Set.of());
        GroupNode member = new GroupNode(RuntimeConfig.defaults(self, addresses).withEngine(engine),
                foundingView(addresses.size()), e -> {
                    if (e instanceof Effect.InstallView iv) {
                        System.out.printf("INSTALL %d %d %d%n", epochNanos() / 1000, iv.view().id(), iv.view().size());
                        System.out.flush();
                    }
                });
        sleepUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startEpochMillis - System.currentTimeMillis()));
        member.start();
        long endNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(runSeconds);
        byte[] payload = new byte[PAYLOAD_BYTES];
        while (System.nanoTime() - endNanos < 0) {
            try {
                member.multicast(Kind.ABCAST, payload);
            } catch (IllegalStateException full) {
                // blocked in a minority or a view change: skip this beat
            }
            Thread.sleep(sendEveryMillis);
        }
        member.close();
    }

    /**
     * CPU time of the whole process and of its engine ({@code group-node-*}) and transport
     * ({@code group-tcp-*}) threads; as a difference, cores used over the interval. It shows whether a
     * figure is bound by one thread (near 1.0), by the machine, or by waiting (flow control, latency).
     */
    record CpuUse(double process, double engine, double transport, double sender) {
        static CpuUse sample() {
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            double engine = 0;
            double transport = 0;
            double sender = 0;
            for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (t == null) {
                    continue;
                }
                long nanos = threads.getThreadCpuTime(t.getThreadId());
                if (t.getThreadName().startsWith("group-node-")) {
                    engine += nanos;
                } else if (t.getThreadName().startsWith("group-tcp-")) {
                    transport += nanos;
                } else if (t.getThreadName().equals("main")) {
                    sender += nanos;
                }
            }
            long process = ((com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
            return new CpuUse(process, engine, transport, sender);
        }

        CpuUse minus(CpuUse earlier, int seconds) {
            double ns = seconds * 1e9;
            return new CpuUse((process - earlier.process) / ns, (engine - earlier.engine) / ns,
                    (transport - earlier.transport) / ns, (sender - earlier.sender) / ns);
        }

        @Override
        public String toString() {
            return String.format("%.2f(engine=%.2f,tcp=%.2f,sender=%.2f,other=%.2f)", process, engine, transport,
                    sender, process - engine - transport - sender);
        }
    }

    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long wait;
        while ((wait = deadlineNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /**
     * Log-linear histogram of latencies in microseconds (32 sub-buckets per power of two, about 3 %
     * resolution), written by the engine thread and read after it stops being written.
     */
    static final class LatencyHistogram {
        private static final int SUB_BITS = 5;
        private final long[] counts = new long[64 << SUB_BITS];
        private volatile boolean resetRequested;

        void record(long nanos) {
            if (resetRequested) {
                java.util.Arrays.fill(counts, 0);
                resetRequested = false;
            }
            counts[bucket(Math.max(0, nanos / 1000))]++;
        }

        void reset() {
            resetRequested = true;
        }

        static int bucket(long micros) {
            if (micros < (1 << SUB_BITS)) {
                return (int) micros;
            }
            int e = 63 - Long.numberOfLeadingZeros(micros);
            long mantissa = micros >>> (e - SUB_BITS);
            return (e - SUB_BITS + 1 << SUB_BITS) + (int) (mantissa - (1 << SUB_BITS));
        }

        static long lowerBoundMicros(int bucket) {
            if (bucket < (1 << SUB_BITS)) {
                return bucket;
            }
            int e = (bucket >>> SUB_BITS) + SUB_BITS - 1;
            long mantissa = (bucket & ((1 << SUB_BITS) - 1)) + (1 << SUB_BITS);
            return mantissa << (e - SUB_BITS);
        }

        record Snapshot(long count, double p50Millis, double p99Millis) {
        }

        Snapshot snapshot() {
            long[] c = counts.clone();
            long total = 0;
            for (long x : c) {
                total += x;
            }
            return new Snapshot(total, quantile(c, total, 0.50) / 1000.0, quantile(c, total, 0.99) / 1000.0);
        }

        private static long quantile(long[] c, long total, double q) {
            long rank = (long) Math.ceil(q * total);
            long seen = 0;
            for (int i = 0; i < c.length; i++) {
                seen += c[i];
                if (seen >= rank && seen > 0) {
                    return lowerBoundMicros(i);
                }
            }
            return 0;
        }
    }
}
