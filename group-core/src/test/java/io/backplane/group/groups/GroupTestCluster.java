package io.backplane.group.groups;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.EngineConfig;
import io.backplane.group.protocol.FrameCodec;
import io.backplane.group.protocol.Packet;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;
import io.backplane.group.sim.SimScenario;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A steppable, fault-free cluster of {@link GroupLayer}s for scenario tests: every packet goes through the
 * wire codec and arrives on the next step. Records what each node's application saw, and counts the
 * multicasts each engine put on the wire so tests can assert what a membership change cost.
 */
final class GroupTestCluster {
    private final EngineConfig engineConfig;
    private final GroupLayerConfig layerConfig;
    private final GroupLayer[] layers;
    private final int[] incarnation;
    private final List<List<GroupEffect>> seen = new ArrayList<>();
    private final List<Integer> allNodes = new ArrayList<>();
    private List<Packet> inFlight = new ArrayList<>();
    long dataFramesSent;
    /** Off for benchmarks, whose hundreds of thousands of effects would dominate the heap measured. */
    boolean recordEffects = true;

    GroupTestCluster(int nodes, int founders) {
        this(nodes, founders, SimScenario.simEngineConfig(), GroupLayerConfig.defaults());
    }

    GroupTestCluster(int nodes, int founders, EngineConfig engineConfig, GroupLayerConfig layerConfig) {
        this.engineConfig = engineConfig;
        this.layerConfig = layerConfig;
        layers = new GroupLayer[nodes];
        incarnation = new int[nodes];
        List<ProcessId> members = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            allNodes.add(i);
            seen.add(new ArrayList<>());
            if (i < founders) {
                members.add(new ProcessId(i, 1));
            }
        }
        View first = new View(1, members);
        for (ProcessId p : members) {
            incarnation[p.node()] = 1;
            layers[p.node()] = new GroupLayer(new Engine(p, engineConfig, first, allNodes), layerConfig);
            collect(p.node());
        }
    }

    GroupLayer layer(int node) {
        return layers[node];
    }

    List<GroupEffect> seen(int node) {
        return seen.get(node);
    }

    void crash(int node) {
        layers[node] = null;
    }

    void startJoiner(int node) {
        layers[node] = new GroupLayer(new Engine(new ProcessId(node, ++incarnation[node]), engineConfig, null, allNodes),
                layerConfig);
        seen.get(node).clear();
        collect(node);
    }

    /** Runs an action on a node's layer and collects its effects. */
    void on(int node, java.util.function.Consumer<GroupLayer> action) {
        action.accept(layers[node]);
        collect(node);
    }

    void step() {
        List<Packet> due = inFlight;
        inFlight = new ArrayList<>();
        for (Packet p : due) {
            GroupLayer l = layers[p.to().node()];
            if (l != null) {
                l.onPacket(FrameCodec.decode(FrameCodec.encode(p)));
                collect(p.to().node());
            }
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] != null) {
                layers[i].onTick();
                collect(i);
            }
        }
    }

    void stepUntil(String what, int ticksMax, BooleanSupplier condition) {
        for (int i = 0; i < ticksMax && !condition.getAsBoolean(); i++) {
            step();
        }
        if (!condition.getAsBoolean()) {
            throw new AssertionError("not reached within " + ticksMax + " ticks: " + what);
        }
    }

    private void collect(int node) {
        for (GroupEffect e : layers[node].drainEffects()) {
            if (e instanceof GroupEffect.Lan lan && lan.effect() instanceof Effect.Transmit t) {
                inFlight.add(t.packet());
                if (t.packet().frame() instanceof io.backplane.group.protocol.Frame.Data) {
                    dataFramesSent++;
                }
            } else if (recordEffects) {
                seen.get(node).add(e);
            }
        }
    }

    /** Payloads a node delivered in a group, in order. */
    List<String> delivered(int node, long groupId) {
        List<String> out = new ArrayList<>();
        for (GroupEffect e : seen.get(node)) {
            if (e instanceof GroupEffect.Deliver d && d.groupId() == groupId) {
                out.add(new String(d.payload(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** Group views a node was told of for a group, in order. */
    List<GroupView> views(int node, long groupId) {
        List<GroupView> out = new ArrayList<>();
        for (GroupEffect e : seen.get(node)) {
            if (e instanceof GroupEffect.ViewChange v && v.view().groupId() == groupId) {
                out.add(v.view());
            }
        }
        return out;
    }

    boolean quiescent() {
        for (GroupLayer l : layers) {
            if (l != null && !l.isQuiescent()) {
                return false;
            }
        }
        return true;
    }
}
