package io.backplane.group.runtime;

import io.backplane.group.groups.GroupEffect;
import io.backplane.group.groups.GroupLayerConfig;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Benchmarks of the group layer over TCP on loopback (run by {@code group-core/bin/bench-group join|transfer};
 * not a test, never asserted): three {@link GroupNode}s running the layer, in one JVM, each with its own engine
 * and transport threads.
 * <ul>
 *   <li>{@code join N [gapMillis]}: node 0 creates N groups one after another (a join of a group without members: one
 *       ABCAST), then node 1 joins each (a join of a group with a member: the join ABCAST, then the members'
 *       group flush), then node 2 joins each with state (the state is empty: the transfer is one chunk
 *       request and an empty chunk); prints p50/p90/p99/max of the time from the request to the
 *       {@code ViewChange} that includes the joiner (to {@code StateTransferred} for the last). With a gap, each request comes that long after the previous
 *       one completed: {@link GroupNode} wakes its engine thread for a request only if nothing arrived for
 *       1 ms (batching under load), so back to back a request can wait for the next tick (10 ms).</li>
 *   <li>{@code transfer MB CHUNK_KB ROUNDS}: node 0 founds a group whose state is MB megabytes written by its
 *       WriteState callback (a pattern copied into each chunk, as a store reading from disk would hand over
 *       its buffer), node 1 joins with state; prints the time from the request to {@code StateTransferred}
 *       and the throughput, per round (a fresh group each round).</li>
 * </ul>
 */
public final class GroupLayerTcpBench {
    private final List<GroupNode> nodes = new ArrayList<>();
    private final Map<Long, CompletableFuture<Long>> memberAt = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Long>> transferredAt = new ConcurrentHashMap<>();
    private volatile long stateBytes;
    private final byte[] pattern = new byte[1 << 20];
    private volatile long received;

    private GroupLayerTcpBench() {
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 31 + 7);
        }
    }

    public static void main(String[] args) throws Exception {
        GroupLayerTcpBench b = new GroupLayerTcpBench();
        int chunkKb = args[0].equals("transfer") && args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        b.start(GroupLayerConfig.defaults().withStateChunkBytesMax(chunkKb * 1024));
        try {
            switch (args[0]) {
                case "join" -> b.join(args.length > 1 ? Integer.parseInt(args[1]) : 2000,
                        args.length > 2 ? Integer.parseInt(args[2]) : 0);
                case "transfer" -> b.transfer(args.length > 1 ? Integer.parseInt(args[1]) : 1024,
                        args.length > 3 ? Integer.parseInt(args[3]) : 5);
                default -> throw new IllegalArgumentException("mode must be join or transfer: " + args[0]);
            }
        } finally {
            b.nodes.forEach(GroupNode::close);
        }
        System.exit(0);
    }

    private void start(GroupLayerConfig layerConfig) throws IOException, InterruptedException {
        Map<Integer, InetSocketAddress> addresses = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                addresses.put(i, new InetSocketAddress("127.0.0.1", s.getLocalPort()));
            }
        }
        View first = new View(1, List.of(new ProcessId(0, 1), new ProcessId(1, 1), new ProcessId(2, 1)));
        for (int i = 0; i < 3; i++) {
            int node = i;
            GroupNode[] self = new GroupNode[1];
            // Failure detection tolerant of a starved JVM: a LAN view change would spoil the figures.
            RuntimeConfig config = RuntimeConfig.defaults(new ProcessId(i, 1), addresses)
                    .withEngine(RuntimeConfig.starvationTolerantEngine());
            GroupNode n = GroupNode.withGroups(config, first, layerConfig, e -> onEffect(node, self[0], e));
            self[0] = n;
            nodes.add(n);
        }
        for (GroupNode n : nodes) {
            n.start();
        }
        Thread.sleep(1000); // connections up
    }

    /** On each node's engine thread. */
    private void onEffect(int node, GroupNode n, GroupEffect e) {
        if (e instanceof GroupEffect.Lan lan && lan.effect() instanceof io.backplane.group.protocol.Effect.InstallView iv
                && iv.view().id() > 1) {
            System.out.println("LAN view change during the run (figures invalid): " + iv.view());
        } else if (e instanceof GroupEffect.ViewChange v && v.member()) {
            CompletableFuture<Long> f = memberAt.get(key(node, v.view().groupId()));
            if (f != null) {
                f.complete(System.nanoTime());
            }
        } else if (e instanceof GroupEffect.StateTransferred t) {
            CompletableFuture<Long> f = transferredAt.get(key(node, t.groupId()));
            if (f != null) {
                f.complete(System.nanoTime());
            }
        } else if (e instanceof GroupEffect.ApplyStateChunk c) {
            received += c.bytes().length;
        } else if (e instanceof GroupEffect.WriteState w) {
            // The callback: the bytes [offset, offset + maxBytes) of a state of stateBytes bytes.
            int len = (int) Math.max(0, Math.min(w.maxBytes(), stateBytes - w.offset()));
            byte[] chunk = new byte[len];
            for (int at = 0; at < len; ) {
                int k = Math.min(len - at, pattern.length);
                System.arraycopy(pattern, 0, chunk, at, k);
                at += k;
            }
            n.groups(l -> l.stateChunk(w, chunk));
        }
    }

    private static long key(int node, long group) {
        return group * 8 + node;
    }

    private long timeJoin(int node, long group, boolean withState) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        (withState ? transferredAt : memberAt).put(key(node, group), done);
        long t0 = System.nanoTime();
        nodes.get(node).groups(l -> {
            if (withState) {
                l.joinWithState(group);
            } else {
                l.join(group);
            }
        });
        return done.get(30, TimeUnit.SECONDS) - t0;
    }

    private void join(int n, int gapMillis) throws Exception {
        stateBytes = 0;
        long[] create = new long[n];
        long[] join = new long[n];
        long[] joinWithState = new long[n];
        int warm = Math.min(200, n / 5);
        for (int i = 0; i < n + warm; i++) {
            long g = 1_000_000 + i;
            long c = timeJoin(0, g, false);
            Thread.sleep(gapMillis);
            long j = timeJoin(1, g, false);
            Thread.sleep(gapMillis);
            long s = timeJoin(2, g, true);
            Thread.sleep(gapMillis);
            if (i >= warm) {
                create[i - warm] = c;
                join[i - warm] = j;
                joinWithState[i - warm] = s;
            }
        }
        print("create a group (first member)", create);
        print("join a group of 1 member", join);
        print("join with state a group of 2 (empty state)", joinWithState);
    }

    private static void print(String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("%-45s n=%d p50=%.3f ms p90=%.3f ms p99=%.3f ms max=%.3f ms%n", what, s.length,
                s[s.length / 2] / 1e6, s[(int) (s.length * 0.9)] / 1e6, s[(int) (s.length * 0.99)] / 1e6,
                s[s.length - 1] / 1e6);
    }

    private void transfer(int megabytes, int rounds) throws Exception {
        stateBytes = (long) megabytes << 20;
        for (int r = 0; r < rounds; r++) {
            long g = 2_000_000 + r;
            timeJoin(0, g, true); // founds it: its state is the callback's
            received = 0;
            long nanos = timeJoin(1, g, true);
            System.out.printf("round %d: %d MiB in %.3f s = %.1f MB/s (received %d bytes)%n", r + 1, megabytes,
                    nanos / 1e9, stateBytes / 1e6 / (nanos / 1e9), received);
            nodes.get(0).groups(l -> l.leave(g));
            nodes.get(1).groups(l -> l.leave(g));
        }
    }
}
