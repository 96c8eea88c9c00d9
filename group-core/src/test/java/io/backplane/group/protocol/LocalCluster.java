package io.backplane.group.protocol;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A hand-driven cluster for stepping tests: a lossless network that delivers every packet one tick later,
 * links that can be cut (both ways or one way), a packet filter, re-injection of a captured packet, and
 * processes that can be crashed. Records what each process delivered.
 */
final class LocalCluster {
    final EngineConfig config;
    final Map<Integer, Engine> engines = new LinkedHashMap<>();
    final Map<ProcessId, List<Effect>> seen = new LinkedHashMap<>();
    private final Set<String> cut = new HashSet<>();
    private List<Packet> inFlight = new ArrayList<>();
    final List<Integer> nodes = new ArrayList<>();
    /** When set, a packet it rejects is lost (tests capture or hold packets with it). */
    java.util.function.Predicate<Packet> filter;

    LocalCluster(int n, EngineConfig config) {
        this.config = config;
        List<ProcessId> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add(new ProcessId(i, 1));
            nodes.add(i);
        }
        View first = new View(1, members);
        for (ProcessId p : members) {
            add(new Engine(p, config, first, nodes));
        }
    }

    void add(Engine e) {
        engines.put(e.self().node(), e);
        collect(e);
    }

    Engine e(int node) {
        return engines.get(node);
    }

    void crash(int node) {
        engines.remove(node);
    }

    void cut(int a, int b) {
        cut.add(a + ">" + b);
        cut.add(b + ">" + a);
    }

    /** {@code from} can no longer reach {@code to}; the other direction still works (a half-open link). */
    void cutOneWay(int from, int to) {
        cut.add(from + ">" + to);
    }

    /** Puts a (captured) packet on the wire again: it arrives at the next step. */
    void inject(Packet p) {
        inFlight.add(p);
    }

    void heal() {
        cut.clear();
    }

    void collect(Engine e) {
        for (Effect ef : e.drainEffects()) {
            if (ef instanceof Effect.Transmit t) {
                Packet p = t.packet();
                if (!cut.contains(p.from().node() + ">" + p.to().node()) && (filter == null || filter.test(p))) {
                    inFlight.add(p);
                }
            } else {
                seen.computeIfAbsent(e.self(), k -> new ArrayList<>()).add(ef);
            }
        }
    }

    /** One tick: deliver what was sent last tick, then tick every engine. */
    void step() {
        List<Packet> now = inFlight;
        inFlight = new ArrayList<>();
        for (Packet p : now) {
            Engine e = engines.get(p.to().node());
            if (e != null) {
                e.onPacket(p);
                collect(e);
            }
        }
        for (Engine e : new ArrayList<>(engines.values())) {
            e.onTick();
            collect(e);
        }
    }

    void run(int ticks) {
        for (int i = 0; i < ticks; i++) {
            step();
        }
    }

    List<String> deliveries(int node) {
        List<String> out = new ArrayList<>();
        for (Effect ef : seen.getOrDefault(e(node).self(), List.of())) {
            if (ef instanceof Effect.Deliver d) {
                out.add(new String(d.payload(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    <T extends Effect> List<T> effects(ProcessId p, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Effect ef : seen.getOrDefault(p, List.of())) {
            if (type.isInstance(ef)) {
                out.add(type.cast(ef));
            }
        }
        return out;
    }
}
