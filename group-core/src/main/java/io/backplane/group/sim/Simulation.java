package io.backplane.group.sim;

import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.Invariants;
import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.MessageId;
import io.backplane.group.protocol.Packet;
import io.backplane.group.protocol.ProcessId;
import io.backplane.group.protocol.View;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Runs one seeded execution of the real {@link Engine}s over {@link SimNetwork}: a safety phase with
 * faults, then (unless only safety is asked) a liveness phase in which faults stop, every down slot
 * restarts, and the group must converge to one view that delivered everything. The run is a pure
 * function of the scenario: one thread, one seeded random source, ordered collections only.
 */
public final class Simulation {
    /** Which phases run and which properties are checked. */
    public enum Mode {
        SAFETY, LIVENESS, BOTH
    }

    private static final int CONVERGE_CHECK_TICKS = 10;
    private static final int RESTART_DELAY_TICKS_MAX = 80;

    private final SimScenario scenario;
    private final Mode mode;
    private final SplittableRandom random;
    private final SimNetwork network;
    private final Engine[] engines;
    private final int[] incarnation;
    private final long[] restartAtTick;
    private final List<TraceEvent> trace = new ArrayList<>();
    private final List<Violation> engineFailures = new ArrayList<>();
    private final Map<ProcessId, List<Long>> unsentRequests = new HashMap<>();
    private final List<Integer> allNodes = new ArrayList<>();
    private long hash = 0xcbf29ce484222325L;
    private long tick;
    private long payloadCounter;

    private Simulation(SimScenario scenario, Mode mode) {
        this.scenario = scenario;
        this.mode = mode;
        this.random = new SplittableRandom(scenario.seed() ^ 0x5DEECE66DL);
        this.network = new SimNetwork(scenario, random.split());
        this.engines = new Engine[scenario.nodes()];
        this.incarnation = new int[scenario.nodes()];
        this.restartAtTick = new long[scenario.nodes()];
        for (int i = 0; i < scenario.nodes(); i++) {
            allNodes.add(i);
        }
    }

    public static SimResult run(SimScenario scenario, Mode mode) {
        return new Simulation(scenario, mode).execute();
    }

    public static SimResult run(long seed, Mode mode) {
        return run(SimScenario.fromSeed(seed), mode);
    }

    private SimResult execute() {
        List<ProcessId> initial = new ArrayList<>();
        for (int i = 0; i < scenario.initialMembers(); i++) {
            initial.add(new ProcessId(i, 1));
        }
        View first = new View(1, initial);
        for (int i = 0; i < scenario.nodes(); i++) {
            incarnation[i] = 1;
            if (i < scenario.initialMembers()) {
                engines[i] = new Engine(new ProcessId(i, 1), scenario.engine(), first, allNodes);
                collect(engines[i]);
            } else {
                restartAtTick[i] = 1 + random.nextInt(Math.max(1, scenario.safetyTicks() / 2));
            }
        }
        List<Violation> violations = new ArrayList<>();
        for (; tick < scenario.safetyTicks() && engineFailures.isEmpty(); tick++) {
            step(true);
        }
        boolean converged = false;
        if (mode != Mode.SAFETY && engineFailures.isEmpty()) {
            network.quiet();
            record(TraceEvent.of(tick, TraceEvent.Type.FAULT, null, "heal: faults stop, down slots restart"));
            for (int i = 0; i < engines.length; i++) {
                if (engines[i] == null && restartAtTick[i] == 0) {
                    restartAtTick[i] = tick + 1;
                }
            }
            long end = tick + scenario.livenessTicksMax();
            for (; tick < end && engineFailures.isEmpty(); tick++) {
                step(false);
                if (tick % CONVERGE_CHECK_TICKS == 0 && livenessViolations().isEmpty()) {
                    converged = true;
                    break;
                }
            }
        }
        violations.addAll(engineFailures);
        if (mode != Mode.LIVENESS) {
            violations.addAll(PropertyChecker.checkSafety(trace));
        }
        if (mode != Mode.SAFETY && engineFailures.isEmpty() && !converged) {
            violations.addAll(livenessViolations());
        }
        return new SimResult(scenario, hash, violations, trace, tick, network.packetsSent);
    }

    private void step(boolean faults) {
        for (Packet p : network.due(tick)) {
            Engine e = engines[p.to().node()];
            if (e != null) {
                guarded(e, () -> e.onPacket(p));
            }
        }
        for (int i = 0; i < engines.length; i++) {
            if (engines[i] == null && restartAtTick[i] != 0 && tick >= restartAtTick[i]) {
                restartAtTick[i] = 0;
                start(i);
            }
            Engine e = engines[i];
            if (e != null) {
                guarded(e, e::onTick);
            }
        }
        if (faults) {
            injectFaults();
            injectWorkload();
        }
    }

    private void guarded(Engine e, Runnable r) {
        try {
            r.run();
        } catch (Invariants.InvariantViolation ex) {
            engineFailures.add(new Violation(Property.ENGINE_INVARIANT, e.self() + " at tick " + tick + ": "
                    + ex.getMessage()));
            record(TraceEvent.of(tick, TraceEvent.Type.CRASH, e.self(), "invariant: " + ex.getMessage()));
            engines[e.self().node()] = null;
            return;
        }
        collect(e);
    }

    private void start(int node) {
        int inc = ++incarnation[node];
        engines[node] = new Engine(new ProcessId(node, inc), scenario.engine(), null, allNodes);
        record(TraceEvent.of(tick, TraceEvent.Type.START, engines[node].self(), "joining"));
    }

    private void collect(Engine e) {
        ProcessId p = e.self();
        for (Effect effect : e.drainEffects()) {
            if (effect instanceof Effect.Transmit t) {
                network.send(t.packet(), tick);
            } else if (effect instanceof Effect.Sent s) {
                List<Long> waiting = unsentRequests.get(p);
                if (waiting != null) {
                    waiting.remove(s.requestId());
                }
                record(new TraceEvent(tick, TraceEvent.Type.SEND, p, null, s.id(), s.viewId(), s.kind(), ""));
            } else if (effect instanceof Effect.Deliver d) {
                record(new TraceEvent(tick, TraceEvent.Type.DELIVER, p, null, d.id(), d.viewId(), d.kind(), ""));
            } else if (effect instanceof Effect.InstallView iv) {
                record(new TraceEvent(tick, TraceEvent.Type.INSTALL, p, iv.view(), null, 0, null, ""));
            } else if (effect instanceof Effect.Availability a) {
                record(TraceEvent.of(tick, TraceEvent.Type.AVAILABILITY, p, a.available() + " " + a.reason()));
            } else if (effect instanceof Effect.Rejected r) {
                List<Long> waiting = unsentRequests.get(p);
                if (waiting != null) {
                    waiting.remove(r.requestId());
                }
                record(TraceEvent.of(tick, TraceEvent.Type.REJECTED, p, "request " + r.requestId() + ": " + r.reason()));
            } else if (effect instanceof Effect.Excluded x) {
                record(TraceEvent.of(tick, TraceEvent.Type.EXCLUDED, p, "by v" + x.viewId() + ": " + e.stateReason()));
                takeDown(p.node(), 1 + random.nextInt(RESTART_DELAY_TICKS_MAX));
            } else if (effect instanceof Effect.Accepted a) {
                record(new TraceEvent(tick, TraceEvent.Type.ACCEPT, p, a.next(), null, a.viewId(), null, ""));
            } else if (effect instanceof Effect.Stable st) {
                record(TraceEvent.stable(tick, p, st.viewId(), st.abcastThrough()));
            } else if (effect instanceof Effect.Left l) {
                record(new TraceEvent(tick, TraceEvent.Type.LEFT, p, null, null, l.viewId(), null, ""));
                takeDown(p.node(), 1 + random.nextInt(RESTART_DELAY_TICKS_MAX));
            }
        }
    }

    private void takeDown(int node, long restartInTicks) {
        engines[node] = null;
        restartAtTick[node] = tick + restartInTicks;
    }

    // ------------------------------------------------------------------ faults and workload

    private void injectFaults() {
        if (random.nextInt(1000) < scenario.partitionPerMille()) {
            boolean[] side = new boolean[engines.length];
            for (int i = 0; i < side.length; i++) {
                side[i] = random.nextBoolean();
            }
            boolean oneWay = random.nextInt(3) == 0;
            long until = tick + 20 + random.nextInt(130);
            network.partition(side, oneWay);
            record(TraceEvent.of(tick, TraceEvent.Type.FAULT, null, "partition " + java.util.Arrays.toString(side)
                    + (oneWay ? " one-way" : "") + " until " + until));
            healAt = Math.max(healAt, until);
        }
        if (healAt != 0 && tick >= healAt) {
            network.heal();
            healAt = 0;
            record(TraceEvent.of(tick, TraceEvent.Type.FAULT, null, "partitions healed"));
        }
        if (random.nextInt(1000) < scenario.clogPerMille()) {
            int node = random.nextInt(engines.length);
            long until = tick + 10 + random.nextInt(50);
            network.clog(node, until);
            record(TraceEvent.of(tick, TraceEvent.Type.FAULT, null, "clog node " + node + " until " + until));
        }
        if (random.nextInt(1000) < scenario.crashPerMille()) {
            int node = random.nextInt(engines.length);
            if (engines[node] != null && safeToTakeDown(node)) {
                record(TraceEvent.of(tick, TraceEvent.Type.CRASH, engines[node].self(), "crash"));
                takeDown(node, 20 + random.nextInt(RESTART_DELAY_TICKS_MAX));
            }
        }
        if (random.nextInt(100) < scenario.flushCrashPercent()) {
            for (int node = 0; node < engines.length; node++) {
                Engine e = engines[node];
                if (e != null && e.isCoordinatingViewChange() && safeToTakeDown(node)) {
                    record(TraceEvent.of(tick, TraceEvent.Type.CRASH, e.self(), "crash while coordinating a view change"));
                    takeDown(node, 20 + random.nextInt(RESTART_DELAY_TICKS_MAX));
                    break;
                }
            }
        }
        // the adversarial profile's faults draw from the random stream only when enabled, so the other
        // profiles keep their seeds' executions
        if (scenario.stuckLinkPerMille() > 0 && random.nextInt(1000) < scenario.stuckLinkPerMille()) {
            int from = random.nextInt(engines.length);
            int to = (from + 1 + random.nextInt(engines.length - 1)) % engines.length;
            network.stickLink(from, to);
            record(TraceEvent.of(tick, TraceEvent.Type.FAULT, null, "link " + from + "->" + to + " down until the faults stop"));
        }
        if (scenario.leaveBurstPerMille() > 0 && random.nextInt(1000) < scenario.leaveBurstPerMille()) {
            int first = random.nextInt(engines.length);
            int wanted = 2 + random.nextInt(2);
            for (int k = 0; k < engines.length && wanted > 0; k++) {
                int node = (first + k) % engines.length;
                Engine e = engines[node];
                if (e != null && e.state() == Engine.State.MEMBER && safeToTakeDown(node)) {
                    record(TraceEvent.of(tick, TraceEvent.Type.FAULT, e.self(), "asks to leave (burst)"));
                    askedToLeave.add(e.self());
                    e.leave();
                    collect(e);
                    wanted--;
                }
            }
        }
        if (random.nextInt(1000) < scenario.leavePerMille()) {
            int node = random.nextInt(engines.length);
            Engine e = engines[node];
            if (e != null && e.state() == Engine.State.MEMBER && safeToTakeDown(node)) {
                record(TraceEvent.of(tick, TraceEvent.Type.FAULT, e.self(), "asks to leave"));
                askedToLeave.add(e.self());
                e.leave();
                collect(e);
            }
        }
    }

    private long healAt;
    /** Processes the workload asked to leave: they are on their way out and cannot hold up a majority. */
    private final Set<ProcessId> askedToLeave = new HashSet<>();

    /** Keeps a live majority in every view that could still be current ({@link CrashGuard}). */
    private boolean safeToTakeDown(int node) {
        // Leavers count as gone only where leave bursts can take several at once (adversarial profile):
        // elsewhere this keeps every existing seed's execution unchanged.
        boolean leaversGone = scenario.leaveBurstPerMille() > 0;
        return CrashGuard.safeToTakeDown(java.util.Arrays.asList(engines), node, p -> leaversGone && askedToLeave.contains(p));
    }

    private void injectWorkload() {
        if (random.nextInt(100) >= scenario.multicastPercent()) {
            return;
        }
        int node = random.nextInt(engines.length);
        Engine e = engines[node];
        if (e == null || e.isTerminated() || e.state() == Engine.State.JOINING) {
            return;
        }
        Kind kind = random.nextInt(100) < scenario.abcastPercent() ? Kind.ABCAST : Kind.CBCAST;
        byte[] payload = ("m" + (++payloadCounter)).getBytes(StandardCharsets.UTF_8);
        long requestId = e.multicast(kind, payload);
        unsentRequests.computeIfAbsent(e.self(), k -> new ArrayList<>()).add(requestId);
        record(TraceEvent.of(tick, TraceEvent.Type.REQUEST, e.self(), kind + " request " + requestId));
        collect(e);
    }

    // ------------------------------------------------------------------ liveness

    /** Empty once every live process is a quiescent member of one view of exactly the live processes. */
    private List<Violation> livenessViolations() {
        List<Violation> out = new ArrayList<>();
        List<ProcessId> live = new ArrayList<>();
        View common = null;
        for (int i = 0; i < engines.length; i++) {
            Engine e = engines[i];
            if (e == null) {
                out.add(new Violation(Property.LIVENESS, "slot " + i + " is down at the end"));
                continue;
            }
            live.add(e.self());
            if (!e.isQuiescent()) {
                out.add(new Violation(Property.LIVENESS, e.self() + " is " + e.state() + " (" + e.stateReason()
                        + "), pending " + e.pendingRequests()));
                continue;
            }
            if (common == null) {
                common = e.view();
            } else if (common.id() != e.view().id()) {
                out.add(new Violation(Property.LIVENESS, "views differ at the end: " + common + " and " + e.view()));
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        if (!new HashSet<>(common.members()).equals(new HashSet<>(live))) {
            out.add(new Violation(Property.LIVENESS, "final view " + common + " is not the live set " + live));
            return out;
        }
        for (Map.Entry<ProcessId, List<Long>> e : unsentRequests.entrySet()) {
            if (live.contains(e.getKey()) && !e.getValue().isEmpty()) {
                out.add(new Violation(Property.LIVENESS, e.getKey() + " never sent requests " + e.getValue()));
            }
        }
        out.addAll(undelivered(live));
        return out;
    }

    /** Every message sent by a live process is delivered by every live process that was in its view. */
    private List<Violation> undelivered(List<ProcessId> live) {
        Map<ProcessId, Set<Long>> viewsOf = new HashMap<>();
        Map<ProcessId, Set<MessageId>> delivered = new HashMap<>();
        List<TraceEvent> sends = new ArrayList<>();
        for (TraceEvent t : trace) {
            switch (t.type()) {
                case INSTALL -> viewsOf.computeIfAbsent(t.process(), k -> new HashSet<>()).add(t.view().id());
                case DELIVER -> delivered.computeIfAbsent(t.process(), k -> new HashSet<>()).add(t.message());
                case SEND -> sends.add(t);
                default -> {
                }
            }
        }
        List<Violation> out = new ArrayList<>();
        for (TraceEvent s : sends) {
            if (!live.contains(s.process())) {
                continue;
            }
            for (ProcessId q : live) {
                if (viewsOf.getOrDefault(q, Set.of()).contains(s.viewId())
                        && !delivered.getOrDefault(q, Set.of()).contains(s.message())) {
                    out.add(new Violation(Property.LIVENESS, q + " never delivered " + s.message() + " of v" + s.viewId()));
                    if (out.size() >= 3) {
                        return out;
                    }
                }
            }
        }
        return out;
    }

    private void record(TraceEvent e) {
        trace.add(e);
        String s = e.toString();
        for (int i = 0; i < s.length(); i++) {
            hash ^= s.charAt(i);
            hash *= 0x100000001b3L;
        }
    }
}
