package io.backplane.group.runtime;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import io.backplane.group.sim.PropertyChecker;
import io.backplane.group.sim.TraceEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same engine over real TCP on loopback: three processes form a view (two found it, one joins),
 * exchange ABCASTs that all deliver in one order, and exclude a member that is shut down; the
 * simulator's property checker then runs over the recorded effects.
 */
class TcpLoopbackTest {
    private final List<GroupNode> nodes = new ArrayList<>();
    private final Map<Integer, List<String>> delivered = new HashMap<>();
    /** Every node's effects in one real-time order, which respects causality across threads. */
    private final List<TraceEvent> trace = new ArrayList<>();

    @AfterEach
    void closeAll() {
        nodes.forEach(GroupNode::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private GroupNode start(int node, Map<Integer, InetSocketAddress> addresses, View initial) throws IOException {
        List<String> mine = Collections.synchronizedList(new ArrayList<>());
        delivered.put(node, mine);
        ProcessId self = new ProcessId(node, 1);
        GroupNode n = new GroupNode(RuntimeConfig.defaults(self, addresses).withEngine(RuntimeConfig.starvationTolerantEngine()), initial, e -> {
            if (e instanceof Effect.Deliver d) {
                mine.add(new String(d.payload(), StandardCharsets.UTF_8));
            }
            record(self, e);
        });
        n.start();
        nodes.add(n);
        return n;
    }

    private void record(ProcessId p, Effect e) {
        synchronized (trace) {
            long t = trace.size();
            if (e instanceof Effect.Deliver d) {
                trace.add(new TraceEvent(t, TraceEvent.Type.DELIVER, p, null, d.id(), d.viewId(), d.kind(), ""));
            } else if (e instanceof Effect.Sent s) {
                trace.add(new TraceEvent(t, TraceEvent.Type.SEND, p, null, s.id(), s.viewId(), s.kind(), ""));
            } else if (e instanceof Effect.InstallView iv) {
                trace.add(new TraceEvent(t, TraceEvent.Type.INSTALL, p, iv.view(), null, 0, null, ""));
            } else if (e instanceof Effect.Accepted a) {
                trace.add(new TraceEvent(t, TraceEvent.Type.ACCEPT, p, a.next(), null, a.viewId(), null, ""));
            }
        }
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10); // polling a condition with a deadline, not sleeping in hope
        }
    }

    @Test
    void threeProcessesFormAViewAndDeliverAbcastsInOneOrder() throws Exception {
        Map<Integer, InetSocketAddress> addresses = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            addresses.put(i, new InetSocketAddress("127.0.0.1", freePort()));
        }
        View founders = new View(1, List.of(new ProcessId(0, 1), new ProcessId(1, 1)));
        GroupNode a = start(0, addresses, founders);
        GroupNode b = start(1, addresses, founders);
        GroupNode c = start(2, addresses, null);
        await("all three share a three-member view", Duration.ofSeconds(20), () -> nodes.stream()
                .allMatch(n -> n.view() != null && n.view().size() == 3 && n.view().equals(a.view())));

        int perSender = 200;
        for (int i = 0; i < perSender; i++) {
            for (int s = 0; s < 3; s++) {
                nodes.get(s).multicast(Kind.ABCAST, ("m" + s + "." + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        await("every member delivered every ABCAST", Duration.ofSeconds(30),
                () -> delivered.values().stream().allMatch(d -> d.size() == 3 * perSender));
        assertThat(List.copyOf(delivered.get(1))).isEqualTo(List.copyOf(delivered.get(0)));
        assertThat(List.copyOf(delivered.get(2))).isEqualTo(List.copyOf(delivered.get(0)));
        assertThat(List.copyOf(delivered.get(0))).doesNotHaveDuplicates();

        c.close();
        await("the survivors exclude the closed member", Duration.ofSeconds(20),
                () -> a.view().size() == 2 && b.view().equals(a.view()));
        assertThat(b.view().members()).containsExactly(new ProcessId(0, 1), new ProcessId(1, 1));
        synchronized (trace) {
            assertThat(PropertyChecker.checkSafety(trace)).isEmpty(); // the simulator's checker, on a real run
        }
    }
}
