package io.backplane.group.runtime;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Indicative throughput and latency of three members on loopback TCP in one JVM, every member sending
 * 1,000-byte multicasts with at most {@code WINDOW} of its own undelivered. Not a test and never
 * asserted: run with {@code java -cp ... io.backplane.group.runtime.GroupThroughputBench [seconds]}.
 */
public final class GroupThroughputBench {
    private static final int MEMBERS = 3;
    private static final int PAYLOAD_BYTES = 1000;
    private static final int WINDOW = 200;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        for (Kind kind : Kind.values()) {
            run(kind, seconds);
        }
        System.exit(0);
    }

    private static void run(Kind kind, int seconds) throws Exception {
        Map<Integer, InetSocketAddress> addresses = new HashMap<>();
        List<ProcessId> members = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                addresses.put(i, new InetSocketAddress("127.0.0.1", s.getLocalPort()));
            }
            members.add(new ProcessId(i, 1));
        }
        View view = new View(1, members);
        AtomicLongArray delivered = new AtomicLongArray(MEMBERS);
        AtomicLongArray ownDelivered = new AtomicLongArray(MEMBERS);
        long[][] latencies = new long[MEMBERS][4_000_000];
        AtomicLong[] latencyCount = new AtomicLong[MEMBERS];
        List<GroupNode> nodes = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            int me = i;
            latencyCount[i] = new AtomicLong();
            GroupNode n = new GroupNode(RuntimeConfig.defaults(members.get(i), addresses), view, e -> {
                if (e instanceof Effect.Deliver d) {
                    delivered.incrementAndGet(me);
                    ByteBuffer b = ByteBuffer.wrap(d.payload());
                    int sender = b.getInt();
                    long sentNanos = b.getLong();
                    if (sender == me) {
                        ownDelivered.incrementAndGet(me);
                        long k = latencyCount[me].getAndIncrement();
                        if (k < latencies[me].length) {
                            latencies[me][(int) k] = System.nanoTime() - sentNanos;
                        }
                    }
                }
            });
            n.start();
            nodes.add(n);
        }
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long warm = System.nanoTime() + 2_000_000_000L;
        long[] sent = new long[MEMBERS];
        long deliveredAtWarm = -1;
        long warmNanos = 0;
        while (System.nanoTime() < end) {
            if (deliveredAtWarm < 0 && System.nanoTime() > warm) {
                deliveredAtWarm = delivered.get(0);
                warmNanos = System.nanoTime();
                for (AtomicLong c : latencyCount) {
                    c.set(0);
                }
            }
            boolean any = false;
            for (int i = 0; i < MEMBERS; i++) {
                if (sent[i] - ownDelivered.get(i) < WINDOW) {
                    byte[] payload = new byte[PAYLOAD_BYTES];
                    ByteBuffer.wrap(payload).putInt(i).putLong(System.nanoTime());
                    try {
                        nodes.get(i).multicast(kind, payload);
                        sent[i]++;
                        any = true;
                    } catch (IllegalStateException full) {
                        // request queue full: back off
                    }
                }
            }
            if (!any) {
                Thread.onSpinWait();
            }
        }
        double secs = (System.nanoTime() - warmNanos) / 1e9;
        long perMember = delivered.get(0) - deliveredAtWarm;
        long[] all = new long[0];
        for (int i = 0; i < MEMBERS; i++) {
            int n = (int) Math.min(latencyCount[i].get(), latencies[i].length);
            long[] merged = Arrays.copyOf(all, all.length + n);
            System.arraycopy(latencies[i], 0, merged, all.length, n);
            all = merged;
        }
        Arrays.sort(all);
        System.out.printf("%s: %.0f deliveries/s per member, latency p50 %.2f ms p99 %.2f ms (%d samples)%n", kind,
                perMember / secs, all.length == 0 ? 0 : all[all.length / 2] / 1e6,
                all.length == 0 ? 0 : all[(int) (all.length * 0.99)] / 1e6, all.length);
        nodes.forEach(GroupNode::close);
    }
}
