package io.backplane.group.contract;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import io.backplane.group.runtime.GroupNode;
import io.backplane.group.runtime.RuntimeConfig;
import io.backplane.group.sim.TraceEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** The contract suite over TCP on loopback, one {@link GroupNode} per slot in this JVM. */
class TcpGroupContractTest extends GroupContractTest {
    private static final long DEADLINE_MILLIS = 30_000;

    @Override
    protected GroupHarness harness(int nodes, int founders) {
        Map<Integer, InetSocketAddress> addresses = new HashMap<>();
        for (int i = 0; i < nodes; i++) {
            addresses.put(i, new InetSocketAddress("127.0.0.1", freePort()));
        }
        List<ProcessId> members = new ArrayList<>();
        for (int i = 0; i < founders; i++) {
            members.add(new ProcessId(i, 1));
        }
        View first = new View(1, members);
        List<TraceEvent> trace = new ArrayList<>();
        GroupNode[] running = new GroupNode[nodes];
        int[] incarnation = new int[nodes];
        Map<Integer, List<String>> delivered = new HashMap<>();

        class Tcp implements GroupHarness {
            void start(int node, View initial) {
                ProcessId self = new ProcessId(node, ++incarnation[node]);
                List<String> mine = Collections.synchronizedList(new ArrayList<>());
                delivered.put(node, mine);
                GroupNode n = new GroupNode(RuntimeConfig.defaults(self, addresses).withEngine(RuntimeConfig.starvationTolerantEngine()), initial, e -> {
                    synchronized (trace) {
                        long t = trace.size();
                        if (e instanceof Effect.Deliver d) {
                            mine.add(new String(d.payload(), StandardCharsets.UTF_8));
                            trace.add(new TraceEvent(t, TraceEvent.Type.DELIVER, self, null, d.id(), d.viewId(), d.kind(), ""));
                        } else if (e instanceof Effect.Sent s) {
                            trace.add(new TraceEvent(t, TraceEvent.Type.SEND, self, null, s.id(), s.viewId(), s.kind(), ""));
                        } else if (e instanceof Effect.InstallView iv) {
                            trace.add(new TraceEvent(t, TraceEvent.Type.INSTALL, self, iv.view(), null, 0, null, ""));
                        } else if (e instanceof Effect.Accepted a) {
                            trace.add(new TraceEvent(t, TraceEvent.Type.ACCEPT, self, a.next(), null, a.viewId(), null, ""));
                        }
                    }
                });
                try {
                    n.start();
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                running[node] = n;
            }

            @Override
            public void multicast(int node, Kind kind, String payload) {
                running[node].multicast(kind, payload.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public List<String> deliveries(int node) {
                List<String> d = delivered.get(node);
                if (d == null) {
                    return List.of();
                }
                synchronized (d) {
                    return List.copyOf(d);
                }
            }

            @Override
            public View view(int node) {
                return running[node] == null ? null : running[node].view();
            }

            @Override
            public void crash(int node) {
                running[node].close();
                synchronized (trace) {
                    trace.add(TraceEvent.of(trace.size(), TraceEvent.Type.CRASH, new ProcessId(node, incarnation[node]), ""));
                }
                running[node] = null;
            }

            @Override
            public void join(int node) {
                start(node, null);
            }

            @Override
            public void awaitUntil(String what, BooleanSupplier condition) {
                long deadline = System.nanoTime() + DEADLINE_MILLIS * 1_000_000L;
                while (!condition.getAsBoolean()) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("not reached within " + DEADLINE_MILLIS + " ms: " + what);
                    }
                    try {
                        Thread.sleep(5); // polling a condition with a deadline
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted");
                    }
                }
            }

            @Override
            public List<TraceEvent> trace() {
                return trace;
            }

            @Override
            public void close() {
                for (GroupNode n : running) {
                    if (n != null) {
                        n.close();
                    }
                }
            }
        }
        Tcp h = new Tcp();
        for (int i = 0; i < founders; i++) {
            h.start(i, first);
        }
        return h;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
