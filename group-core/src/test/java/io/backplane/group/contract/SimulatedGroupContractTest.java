package io.backplane.group.contract;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.View;
import io.backplane.group.sim.SimCluster;
import io.backplane.group.sim.TraceEvent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** The contract suite over the seeded simulated network. */
class SimulatedGroupContractTest extends GroupContractTest {
    private static final int TICKS_MAX = 5000;

    @Override
    protected GroupHarness harness(int nodes, int founders) {
        SimCluster c = SimCluster.quiet(nodes, founders);
        return new GroupHarness() {
            @Override
            public void multicast(int node, Kind kind, String payload) {
                c.multicast(node, kind, payload.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public List<String> deliveries(int node) {
                List<String> out = new ArrayList<>();
                if (c.engine(node) == null) {
                    return out;
                }
                for (TraceEvent e : c.trace()) {
                    if (e.type() == TraceEvent.Type.DELIVER && e.process().equals(c.engine(node).self())) {
                        out.add(e.note());
                    }
                }
                return out;
            }

            @Override
            public View view(int node) {
                return c.engine(node) == null ? null : c.engine(node).view();
            }

            @Override
            public void crash(int node) {
                c.crash(node);
            }

            @Override
            public void join(int node) {
                c.join(node);
            }

            @Override
            public void awaitUntil(String what, BooleanSupplier condition) {
                c.stepUntil(what, TICKS_MAX, condition);
            }

            @Override
            public List<TraceEvent> trace() {
                return c.trace();
            }

            @Override
            public void close() {
            }
        };
    }
}
