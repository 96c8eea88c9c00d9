package io.backplane.group.sim;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.Packet;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * A steppable cluster of engines on the seeded network, for scenario tests written against the same
 * harness as the TCP runtime (the contract suite). Faults come only from the scenario's knobs; the
 * caller crashes and starts processes explicitly. Records the same trace the simulator checks.
 */
public final class SimCluster {
    private final SimScenario scenario;
    private final SimNetwork network;
    private final Engine[] engines;
    private final int[] incarnation;
    private final List<Integer> allNodes = new ArrayList<>();
    private final List<TraceEvent> trace = new ArrayList<>();
    private long tick;

    /** {@code founders} nodes form view 1; the other slots stay down until {@link #join}. */
    public SimCluster(SimScenario scenario, int founders) {
        this.scenario = scenario;
        this.network = new SimNetwork(scenario, new SplittableRandom(scenario.seed()));
        this.engines = new Engine[scenario.nodes()];
        this.incarnation = new int[scenario.nodes()];
        List<ProcessId> members = new ArrayList<>();
        for (int i = 0; i < scenario.nodes(); i++) {
            allNodes.add(i);
            if (i < founders) {
                members.add(new ProcessId(i, 1));
            }
        }
        View first = new View(1, members);
        for (ProcessId p : members) {
            incarnation[p.node()] = 1;
            engines[p.node()] = new Engine(p, scenario.engine(), first, allNodes);
            collect(engines[p.node()]);
        }
    }

    /** A fault-free network with {@code nodes} slots and the simulator's engine timings. */
    public static SimCluster quiet(int nodes, int founders) {
        SimScenario s = new SimScenario(1, nodes, founders, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                SimScenario.simEngineConfig());
        return new SimCluster(s, founders);
    }

    public void multicast(int node, Kind kind, byte[] payload) {
        engines[node].multicast(kind, payload);
        collect(engines[node]);
    }

    public void crash(int node) {
        trace.add(TraceEvent.of(tick, TraceEvent.Type.CRASH, engines[node].self(), "crash"));
        engines[node] = null;
    }

    /** Starts a new incarnation at {@code node} that joins the group. */
    public void join(int node) {
        engines[node] = new Engine(new ProcessId(node, ++incarnation[node]), scenario.engine(), null, allNodes);
    }

    public Engine engine(int node) {
        return engines[node];
    }

    public List<TraceEvent> trace() {
        return trace;
    }

    public void step() {
        tick++;
        for (Packet p : network.due(tick)) {
            Engine e = engines[p.to().node()];
            if (e != null) {
                e.onPacket(p);
                collect(e);
            }
        }
        for (Engine e : engines) {
            if (e != null) {
                e.onTick();
                collect(e);
            }
        }
    }

    /** Steps until {@code condition} holds; fails after {@code ticksMax} steps. */
    public void stepUntil(String what, int ticksMax, BooleanSupplier condition) {
        for (int i = 0; i < ticksMax; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            step();
        }
        if (!condition.getAsBoolean()) {
            throw new AssertionError("not reached within " + ticksMax + " ticks: " + what);
        }
    }

    private void collect(Engine e) {
        ProcessId p = e.self();
        for (Effect effect : e.drainEffects()) {
            if (effect instanceof Effect.Transmit t) {
                network.send(t.packet(), tick);
            } else if (effect instanceof Effect.Sent s) {
                trace.add(new TraceEvent(tick, TraceEvent.Type.SEND, p, null, s.id(), s.viewId(), s.kind(), ""));
            } else if (effect instanceof Effect.Deliver d) {
                trace.add(new TraceEvent(tick, TraceEvent.Type.DELIVER, p, null, d.id(), d.viewId(), d.kind(),
                        new String(d.payload(), java.nio.charset.StandardCharsets.UTF_8)));
            } else if (effect instanceof Effect.InstallView iv) {
                trace.add(new TraceEvent(tick, TraceEvent.Type.INSTALL, p, iv.view(), null, 0, null, ""));
            } else if (effect instanceof Effect.Accepted a) {
                trace.add(new TraceEvent(tick, TraceEvent.Type.ACCEPT, p, a.next(), null, a.viewId(), null, ""));
            }
        }
    }
}
