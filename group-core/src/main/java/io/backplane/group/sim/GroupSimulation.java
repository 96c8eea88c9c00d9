package io.backplane.group.sim;

import io.backplane.group.groups.CallId;
import io.backplane.group.groups.GroupEffect;
import io.backplane.group.groups.GroupLayer;
import io.backplane.group.groups.GroupView;
import io.backplane.group.groups.Want;
import io.backplane.group.toolkit.ToolEffect;
import io.backplane.group.toolkit.Toolkit;
import io.backplane.group.protocol.Effect;
import io.backplane.group.protocol.Engine;
import io.backplane.group.protocol.Invariants;
import io.backplane.group.protocol.Kind;
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
 * Runs one seeded execution of {@link GroupLayer}s (each over a real {@link Engine}) on {@link SimNetwork}:
 * the LAN faults of {@link Simulation} (crashes, partitions, clogs, LAN leaves, coordinator crashes
 * mid-flush) plus a group workload with constant churn (joins and leaves of groups, member and client
 * multicasts, CBCAST and ABCAST), then a healed phase in which everything must converge. The trace is
 * checked by {@link GroupPropertyChecker}. A pure function of the scenario.
 */
public final class GroupSimulation {
    private static final int CONVERGE_CHECK_TICKS = 10;
    private static final int RESTART_DELAY_TICKS_MAX = 80;

    /** What one run exercised, for sweep floors. */
    public record Stats(long groupViews, long groupDeliveries, long groupFlushes, long lanGroupUpdates,
                        long staleResends, long crashes, long directoryTransfers, long joins, long leaves,
                        long calls, long callErrors, long grants, long ccTakeovers, long toolStates,
                        long stateTransfers, long multiChunkTransfers, long donorSwitches, long statesLost,
                        long transfersAbandoned) {
        Stats plus(Stats o) {
            return new Stats(groupViews + o.groupViews, groupDeliveries + o.groupDeliveries,
                    groupFlushes + o.groupFlushes, lanGroupUpdates + o.lanGroupUpdates, staleResends + o.staleResends,
                    crashes + o.crashes, directoryTransfers + o.directoryTransfers, joins + o.joins, leaves + o.leaves,
                    calls + o.calls, callErrors + o.callErrors, grants + o.grants, ccTakeovers + o.ccTakeovers,
                    toolStates + o.toolStates, stateTransfers + o.stateTransfers,
                    multiChunkTransfers + o.multiChunkTransfers, donorSwitches + o.donorSwitches,
                    statesLost + o.statesLost, transfersAbandoned + o.transfersAbandoned);
        }

        public static Stats zero() {
            return new Stats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /** Something the simulated application does later (answer a call, release a lock), if still alive. */
    private record Later(long dueTick, ProcessId p, Runnable action) {
    }

    /** Outcome of one run. */
    public record Result(GroupScenario scenario, long traceHash, List<Violation> violations,
                         List<GroupTraceEvent> trace, Stats stats) {
        public boolean passed() {
            return violations.isEmpty();
        }

        public boolean broke(Property p) {
            return violations.stream().anyMatch(v -> v.property() == p);
        }
    }

    private final GroupScenario scenario;
    private final SimScenario lan;
    private final SplittableRandom random;
    private final SimNetwork network;
    private final GroupLayer[] layers;
    private final Toolkit[] tools;
    /** The simulated application's state of the groups with state transfer, per slot (its current incarnation). */
    private final SimStateApp[] apps;
    private final SplittableRandom stateRandom;
    private final SplittableRandom toolRandom;
    private final List<Later> later = new ArrayList<>();
    /** Coordinator-cohort calls: an Act for one of these after the first is a takeover. */
    private final Set<CallId> acted = new HashSet<>();
    private final int[] incarnation;
    private final long[] restartAtTick;
    private final boolean[] wasReady;
    private final List<GroupTraceEvent> trace = new ArrayList<>();
    private final List<Violation> failures = new ArrayList<>();
    private final Map<ProcessId, Set<Long>> unsent = new HashMap<>();
    private final List<Integer> allNodes = new ArrayList<>();
    private long hash = 0xcbf29ce484222325L;
    private long tick;
    private long payloadCounter;
    private long healAt;
    private long groupFlushes;
    private long lanGroupUpdates;
    private long staleResends;
    private long crashes;
    private long directoryTransfers;
    private long joins;
    private long leaves;
    private long calls;
    private long callErrors;
    private long grants;
    private long ccTakeovers;
    private long toolStates;
    private long stateTransfers;
    /** Transfers (process/group/join view) that took more than one chunk. */
    private final Set<String> multiChunk = new HashSet<>();
    private long donorSwitches;
    private long statesLost;
    private long transfersAbandoned;

    private GroupSimulation(GroupScenario scenario) {
        this.scenario = scenario;
        this.lan = scenario.lan();
        this.random = new SplittableRandom(lan.seed() ^ 0x6A09E667F3BCC909L);
        this.network = new SimNetwork(lan, random.split());
        this.layers = new GroupLayer[lan.nodes()];
        this.tools = new Toolkit[lan.nodes()];
        this.apps = new SimStateApp[lan.nodes()];
        this.stateRandom = new SplittableRandom(lan.seed() ^ 0x1F83D9ABFB41BD6BL);
        this.toolRandom = new SplittableRandom(lan.seed() ^ 0x3C6EF372FE94F82BL);
        this.incarnation = new int[lan.nodes()];
        this.restartAtTick = new long[lan.nodes()];
        this.wasReady = new boolean[lan.nodes()];
        for (int i = 0; i < lan.nodes(); i++) {
            allNodes.add(i);
        }
    }

    public static Result run(GroupScenario scenario) {
        return new GroupSimulation(scenario).execute();
    }

    public static Result run(long seed) {
        return run(GroupScenario.fromSeed(seed));
    }

    private Result execute() {
        List<ProcessId> initial = new ArrayList<>();
        for (int i = 0; i < lan.initialMembers(); i++) {
            initial.add(new ProcessId(i, 1));
        }
        View first = new View(1, initial);
        for (int i = 0; i < lan.nodes(); i++) {
            incarnation[i] = 1;
            if (i < lan.initialMembers()) {
                layers[i] = new GroupLayer(new Engine(new ProcessId(i, 1), lan.engine(), first, allNodes), scenario.layer());
                tools[i] = newToolkit(layers[i]);
                apps[i] = new SimStateApp();
                record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.START, layers[i].self(), "founder"));
                collect(layers[i]);
                initialJoins(layers[i]);
            } else {
                restartAtTick[i] = 1 + random.nextInt(Math.max(1, lan.safetyTicks() / 2));
            }
        }
        for (; tick < lan.safetyTicks() && failures.isEmpty(); tick++) {
            step(true);
        }
        boolean converged = false;
        if (failures.isEmpty()) {
            network.quiet();
            record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.NOTE, null, "heal: faults stop, down slots restart"));
            for (int i = 0; i < layers.length; i++) {
                if (layers[i] == null && restartAtTick[i] == 0) {
                    restartAtTick[i] = tick + 1;
                }
            }
            long end = tick + lan.livenessTicksMax();
            for (; tick < end && failures.isEmpty(); tick++) {
                step(false);
                if (tick % CONVERGE_CHECK_TICKS == 0 && livenessViolations().isEmpty()) {
                    converged = true;
                    break;
                }
            }
        }
        List<Violation> violations = new ArrayList<>(failures);
        violations.addAll(GroupPropertyChecker.check(trace));
        if (failures.isEmpty() && !converged) {
            violations.addAll(livenessViolations());
        }
        for (GroupLayer l : layers) {
            if (l != null) {
                account(l);
            }
        }
        long views = trace.stream().filter(e -> e.type() == GroupTraceEvent.Type.VIEW).count();
        long deliveries = trace.stream().filter(e -> e.type() == GroupTraceEvent.Type.DELIVER).count();
        for (Toolkit t : tools) {
            if (t != null) {
                toolStates += t.statesSent();
            }
        }
        Stats stats = new Stats(views, deliveries, groupFlushes, lanGroupUpdates, staleResends, crashes,
                directoryTransfers, joins, leaves, calls, callErrors, grants, ccTakeovers, toolStates,
                stateTransfers, multiChunk.size(), donorSwitches, statesLost, transfersAbandoned);
        return new Result(scenario, hash, violations, trace, stats);
    }

    private void account(GroupLayer l) {
        Toolkit t = tools[l.self().node()];
        if (t != null && layers[l.self().node()] == l) {
            toolStates += t.statesSent();
            tools[l.self().node()] = null;
        }
        groupFlushes += l.groupFlushesCompleted();
        donorSwitches += l.donorSwitches();
        transfersAbandoned += l.transfersAbandoned();
        lanGroupUpdates += l.lanGroupUpdates();
        staleResends += l.staleResends();
    }

    private void step(boolean faults) {
        for (Packet p : network.due(tick)) {
            GroupLayer l = layers[p.to().node()];
            if (l != null) {
                guarded(l, () -> l.onPacket(p));
            }
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == null && restartAtTick[i] != 0 && tick >= restartAtTick[i]) {
                restartAtTick[i] = 0;
                start(i);
            }
            GroupLayer l = layers[i];
            if (l != null) {
                guarded(l, l::onTick);
            }
            l = layers[i];
            if (l != null && !wasReady[i] && l.isDirectoryReady()) {
                wasReady[i] = true;
                if (l.engine().view() != null && l.engine().view().id() > 1) {
                    directoryTransfers++;
                }
            }
        }
        runLater();
        if (faults) {
            injectFaults();
            injectWorkload();
            injectToolWorkload();
        }
    }

    /** Every group is a tool group, unless the scenario has no tool workload (then none is: no tool traffic). */
    private Toolkit newToolkit(GroupLayer l) {
        boolean tools = !scenario.tools().equals(GroupScenario.Tools.NONE);
        return new Toolkit(l, g -> tools, scenario.layer().plantedBugs());
    }

    private void runLater() {
        if (later.isEmpty()) {
            return;
        }
        List<Later> due = new ArrayList<>();
        later.removeIf(x -> {
            if (x.dueTick() <= tick) {
                due.add(x);
                return true;
            }
            return false;
        });
        for (Later x : due) {
            GroupLayer l = layers[x.p().node()];
            if (l != null && l.self().equals(x.p()) && !l.engine().isTerminated()) {
                x.action().run();
                collect(l);
            }
        }
    }

    private void later(ProcessId p, long delayTicks, Runnable action) {
        later.add(new Later(tick + delayTicks, p, action));
    }

    private void guarded(GroupLayer l, Runnable r) {
        try {
            r.run();
        } catch (Invariants.InvariantViolation ex) {
            failures.add(new Violation(Property.ENGINE_INVARIANT, l.self() + " at tick " + tick + ": " + ex.getMessage()));
            record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.STOP, l.self(), "invariant: " + ex.getMessage()));
            layers[l.self().node()] = null;
            return;
        }
        collect(l);
    }

    private void start(int node) {
        int inc = ++incarnation[node];
        layers[node] = new GroupLayer(new Engine(new ProcessId(node, inc), lan.engine(), null, allNodes), scenario.layer());
        tools[node] = newToolkit(layers[node]);
        apps[node] = new SimStateApp();
        wasReady[node] = false;
        record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.START, layers[node].self(), "joining"));
        collect(layers[node]);
        initialJoins(layers[node]);
    }

    private void initialJoins(GroupLayer l) {
        if (scenario.groups() == 0) {
            return;
        }
        Set<Long> chosen = new HashSet<>();
        for (int i = 0; i < scenario.initialJoins() && chosen.size() < scenario.groups(); i++) {
            long g = 1 + random.nextInt(scenario.groups());
            if (chosen.add(g)) {
                join(l, g);
            }
        }
        collect(l);
    }

    private void leaveGroup(GroupLayer l, long group) {
        Toolkit t = tools[l.self().node()];
        for (Long lock : t.held(group)) {
            record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.RELEASE, l.self(), group, 0,
                    new GroupTraceEvent.LockInfo(lock, null)));
        }
        t.leave(group);
        leaves++;
    }

    private void join(GroupLayer l, long group) {
        if (GroupScenario.withState(group)) {
            l.joinWithState(group);
        } else {
            l.join(group);
        }
        joins++;
    }

    private void collect(GroupLayer l) {
        ProcessId p = l.self();
        Toolkit t = tools[p.node()];
        List<GroupEffect> batch = l.drainEffects();
        while (!batch.isEmpty()) {
            for (GroupEffect effect : batch) {
                record(l, effect);
                if (t != null && layers[p.node()] == l) {
                    boolean tool = t.onEffect(effect);
                    afterToolkit(l, t, effect, tool);
                    for (ToolEffect te : t.drainEffects()) {
                        onToolEffect(l, t, te);
                    }
                }
            }
            batch = l.drainEffects();
        }
    }

    private void record(GroupLayer l, GroupEffect effect) {
        ProcessId p = l.self();
        if (effect instanceof GroupEffect.Lan lanEffect) {
            onLanEffect(l, lanEffect.effect());
        } else if (effect instanceof GroupEffect.Sent s) {
            Set<Long> waiting = unsent.get(p);
            if (waiting != null) {
                waiting.remove(s.requestId());
            }
            record(new GroupTraceEvent(tick, GroupTraceEvent.Type.SEND, p, s.groupId(), null, false, s.id(),
                    s.groupViewId(), s.kind(), 0, ""));
        } else if (effect instanceof GroupEffect.WriteState w) {
            SimStateApp app = apps[p.node()];
            if (app.write(w) == null) {
                // The layer asks only once the application has reached the cut holding the state.
                failures.add(new Violation(Property.STATE_TRANSFER, p + " asked to write g" + w.groupId()
                        + " as of " + w.cutSeq() + " holds no state of it"));
            }
            later(p, stateRandom.nextInt(4), () -> {
                byte[] bytes = app.write(w);
                if (bytes != null) {
                    l.stateChunk(w, bytes); // else it left the group meanwhile: the joiner moves on
                }
            });
        } else if (effect instanceof GroupEffect.ApplyStateChunk c) {
            if (c.offset() > 0) {
                multiChunk.add(p + "/" + c.groupId() + "/" + c.joinViewId());
            }
            String error = apps[p.node()].onChunk(c);
            if (error != null) {
                failures.add(new Violation(Property.STATE_TRANSFER, p + ": " + error));
            }
        } else if (effect instanceof GroupEffect.StateTransferred t) {
            GroupTraceEvent.XferInfo info = apps[p.node()].onTransferred(t);
            record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.XFER, p, t.groupId(), info.viewId(), info));
            if (info.what().startsWith("error")) {
                failures.add(new Violation(Property.STATE_TRANSFER, p + " g" + t.groupId() + ": " + info.what()));
            }
            switch (t.outcome()) {
                case COMPLETE -> stateTransfers++;
                case LOST -> statesLost++;
                case NO_DONOR -> {
                    if (tools[p.node()] != null && layers[p.node()] == l) {
                        leaveGroup(l, t.groupId()); // as the application must: leave (churn may join again)
                    }
                }
                default -> {
                }
            }
        } else if (effect instanceof GroupEffect.Deliver d) {
            if (GroupScenario.withState(d.groupId())) {
                apps[p.node()].onDeliver(d.groupId(), d.seq(), d.id());
            }
            record(new GroupTraceEvent(tick, GroupTraceEvent.Type.DELIVER, p, d.groupId(), null, false, d.id(),
                    d.groupViewId(), d.kind(), d.seq(), ""));
        } else if (effect instanceof GroupEffect.Call c) {
            if (GroupScenario.withState(c.callId().groupId())) {
                apps[p.node()].onDeliver(c.callId().groupId(), c.seq(), c.id());
            }
            record(new GroupTraceEvent(tick, GroupTraceEvent.Type.DELIVER, p, c.callId().groupId(), null, false, c.id(),
                    c.groupViewId(), c.kind(), c.seq(), "", new GroupTraceEvent.CallInfo(c.callId(), null, false)));
        } else if (effect instanceof GroupEffect.ViewChange v) {
            record(new GroupTraceEvent(tick, GroupTraceEvent.Type.VIEW, p, v.view().groupId(), v.view(), v.member(),
                    null, 0, null, 0, ""));
            if (GroupScenario.withState(v.view().groupId())) {
                GroupTraceEvent.XferInfo at = apps[p.node()].onView(v.view().groupId(), v.view().viewId(),
                        v.view().deliveredBefore(), v.member());
                if (at != null) {
                    record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.XFER, p, v.view().groupId(), at.viewId(), at));
                }
            }
        } else if (effect instanceof GroupEffect.ReplySeen r) {
            record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.REPLY_SEEN, p, r.callId().groupId(), 0,
                    new GroupTraceEvent.ReplyInfo(r.callId(), r.replier(), r.nullReply())));
        } else if (effect instanceof GroupEffect.RpcResult r) {
            if (!r.ok()) {
                callErrors++;
            }
            List<ProcessId> repliers = new ArrayList<>();
            r.replies().forEach(x -> repliers.add(x.from()));
            record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.RESULT, p, r.callId().groupId(), r.groupViewId(),
                    new GroupTraceEvent.ResultInfo(r.callId(), r.groupViewId(), repliers, r.nullRepliers(), r.error())));
        } else if (effect instanceof GroupEffect.Rejected r) {
            Set<Long> waiting = unsent.get(p);
            if (waiting != null) {
                waiting.remove(r.requestId());
            }
            record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.NOTE, p, "rejected " + r.requestId() + ": " + r.reason()));
        }
    }

    /** The simulated application: answers calls later, and reports the replicated state at each group view. */
    private void afterToolkit(GroupLayer l, Toolkit t, GroupEffect effect, boolean tool) {
        ProcessId p = l.self();
        if (effect instanceof GroupEffect.Call c && !tool) {
            boolean nullReply = toolRandom.nextInt(4) == 0;
            boolean twice = toolRandom.nextInt(20) == 0;
            long delay = toolRandom.nextInt(16);
            later(p, delay, () -> answer(l, c, nullReply));
            if (twice) {
                later(p, delay + 1 + toolRandom.nextInt(10), () -> answer(l, c, nullReply));
            }
        } else if (effect instanceof GroupEffect.ViewChange v && v.member() && t.isSynced(v.view().groupId())) {
            long g = v.view().groupId();
            record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.STATE, p, g, v.view().viewId(),
                    new GroupTraceEvent.StateInfo(t.configVersion(g), t.stateHash(g))));
        }
    }

    private void answer(GroupLayer l, GroupEffect.Call c, boolean nullReply) {
        record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.REPLY, l.self(), c.callId().groupId(), 0,
                new GroupTraceEvent.ReplyInfo(c.callId(), l.self(), nullReply)));
        if (nullReply) {
            l.nullReply(c);
        } else {
            l.reply(c, ("r" + l.self()).getBytes(StandardCharsets.UTF_8));
        }
    }

    private void onToolEffect(GroupLayer l, Toolkit t, ToolEffect te) {
        ProcessId p = l.self();
        if (te instanceof ToolEffect.Granted g) {
            grants++;
            record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.GRANT, p, g.groupId(), 0,
                    new GroupTraceEvent.LockInfo(g.lock(), g.request())));
            later(p, 1 + toolRandom.nextInt(15), () -> {
                if (t.release(g.groupId(), g.lock())) {
                    record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.RELEASE, p, g.groupId(), 0,
                            new GroupTraceEvent.LockInfo(g.lock(), g.request())));
                }
            });
        } else if (te instanceof ToolEffect.Act a) {
            if (!acted.add(a.callId())) {
                ccTakeovers++;
            }
            later(p, toolRandom.nextInt(21), () -> {
                if (t.answer(a.callId(), ("cc" + p).getBytes(StandardCharsets.UTF_8))) {
                    record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.REPLY, p, a.callId().groupId(), 0,
                            new GroupTraceEvent.ReplyInfo(a.callId(), p, false)));
                }
            });
        } else if (te instanceof ToolEffect.ConfigChanged c) {
            record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.CONFIG, p, c.groupId(), c.groupViewId(),
                    new GroupTraceEvent.StateInfo(c.version(), java.util.Arrays.hashCode(c.value()))));
        }
    }

    private void onLanEffect(GroupLayer l, Effect e) {
        ProcessId p = l.self();
        if (e instanceof Effect.Transmit t) {
            network.send(t.packet(), tick);
        } else if (e instanceof Effect.InstallView iv) {
            record(new GroupTraceEvent(tick, GroupTraceEvent.Type.LAN_VIEW, p, 0, null, false, null, iv.view().id(),
                    null, 0, iv.view().toString()));
        } else if (e instanceof Effect.Excluded || e instanceof Effect.Left) {
            record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.STOP, p, e.toString()));
            takeDown(p.node(), 1 + random.nextInt(RESTART_DELAY_TICKS_MAX));
        }
    }

    private void takeDown(int node, long restartInTicks) {
        if (layers[node] != null) {
            account(layers[node]);
        }
        layers[node] = null;
        restartAtTick[node] = tick + restartInTicks;
    }

    // ------------------------------------------------------------------ faults and workload

    private void injectFaults() {
        if (random.nextInt(1000) < lan.partitionPerMille()) {
            boolean[] side = new boolean[layers.length];
            for (int i = 0; i < side.length; i++) {
                side[i] = random.nextBoolean();
            }
            boolean oneWay = random.nextInt(3) == 0;
            long until = tick + 20 + random.nextInt(130);
            network.partition(side, oneWay);
            record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.NOTE, null, "partition until " + until));
            healAt = Math.max(healAt, until);
        }
        if (healAt != 0 && tick >= healAt) {
            network.heal();
            healAt = 0;
        }
        if (random.nextInt(1000) < lan.clogPerMille()) {
            network.clog(random.nextInt(layers.length), tick + 10 + random.nextInt(50));
        }
        if (random.nextInt(1000) < lan.crashPerMille()) {
            int node = random.nextInt(layers.length);
            if (layers[node] != null && safeToTakeDown(node)) {
                crash(node, "crash");
            }
        }
        if (random.nextInt(100) < lan.flushCrashPercent()) {
            for (int node = 0; node < layers.length; node++) {
                GroupLayer l = layers[node];
                if (l != null && l.engine().isCoordinatingViewChange() && safeToTakeDown(node)) {
                    crash(node, "crash while coordinating a view change");
                    break;
                }
            }
        }
        if (random.nextInt(1000) < lan.leavePerMille()) {
            int node = random.nextInt(layers.length);
            GroupLayer l = layers[node];
            if (l != null && l.engine().state() == Engine.State.MEMBER && safeToTakeDown(node)) {
                record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.NOTE, l.self(), "asks to leave the LAN"));
                l.leaveLan();
                collect(l);
            }
        }
    }

    private void crash(int node, String why) {
        crashes++;
        record(GroupTraceEvent.note(tick, GroupTraceEvent.Type.STOP, layers[node].self(), why));
        takeDown(node, 20 + random.nextInt(RESTART_DELAY_TICKS_MAX));
    }

    /** The LAN simulation's rule ({@link CrashGuard}), over the engines under the group layers. */
    private boolean safeToTakeDown(int node) {
        List<Engine> engines = new ArrayList<>(layers.length);
        for (GroupLayer l : layers) {
            engines.add(l == null ? null : l.engine());
        }
        return CrashGuard.safeToTakeDown(engines, node, p -> false);
    }

    private GroupLayer randomReady() {
        GroupLayer l = layers[random.nextInt(layers.length)];
        if (l == null || l.engine().isTerminated() || l.engine().state() == Engine.State.JOINING) {
            return null;
        }
        return l;
    }

    private void injectWorkload() {
        if (scenario.groups() == 0) {
            return;
        }
        for (int i = 0; i < scenario.sendsPerTickMax(); i++) {
            if (random.nextInt(100) >= lan.multicastPercent()) {
                continue;
            }
            GroupLayer l = randomReady();
            if (l == null) {
                continue;
            }
            long group = 1 + random.nextInt(scenario.groups());
            if (random.nextInt(100) >= scenario.clientPercent()) {
                // prefer a group it belongs to, so most traffic is member traffic
                for (int tries = 0; tries < 8 && !l.isMember(group); tries++) {
                    group = 1 + random.nextInt(scenario.groups());
                }
            }
            Kind kind = random.nextInt(100) < lan.abcastPercent() ? Kind.ABCAST : Kind.CBCAST;
            byte[] payload = ("m" + (++payloadCounter)).getBytes(StandardCharsets.UTF_8);
            long requestId = l.multicast(group, kind, payload);
            unsent.computeIfAbsent(l.self(), k -> new HashSet<>()).add(requestId);
            collect(l);
        }
        if (random.nextInt(100) < scenario.churnPercent()) {
            GroupLayer l = randomReady();
            if (l != null) {
                long group = 1 + random.nextInt(scenario.groups());
                if (l.isMember(group)) {
                    leaveGroup(l, group);
                } else {
                    join(l, group);
                }
                collect(l);
            }
        }
    }

    /** Group RPCs, coordinator-cohort requests, lock requests and replicated-data updates. */
    private void injectToolWorkload() {
        GroupScenario.Tools k = scenario.tools();
        if (scenario.groups() == 0) {
            return;
        }
        if (toolRandom.nextInt(1000) < k.rpcPerMille()) {
            GroupLayer l = randomReady();
            if (l != null) {
                long group = memberGroupMostly(l);
                Want want = switch (toolRandom.nextInt(5)) {
                    case 0 -> Want.NONE;
                    case 1 -> Want.ONE;
                    case 2 -> Want.k(1 + toolRandom.nextInt(3));
                    case 3 -> Want.QUORUM;
                    default -> Want.ALL;
                };
                Kind kind = toolRandom.nextBoolean() ? Kind.ABCAST : Kind.CBCAST;
                CallId id = l.call(group, kind, ("c" + (++payloadCounter)).getBytes(StandardCharsets.UTF_8), want);
                calls++;
                record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.CALL, l.self(), group, 0,
                        new GroupTraceEvent.CallInfo(id, want, false)));
                collect(l);
            }
        }
        if (toolRandom.nextInt(1000) < k.ccPerMille()) {
            GroupLayer l = randomReady();
            if (l != null) {
                long group = memberGroupMostly(l);
                CallId id = tools[l.self().node()].request(group, ("cc" + (++payloadCounter)).getBytes(StandardCharsets.UTF_8));
                calls++;
                record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.CALL, l.self(), group, 0,
                        new GroupTraceEvent.CallInfo(id, Want.ONE, true)));
                collect(l);
            }
        }
        if (toolRandom.nextInt(1000) < k.lockPerMille()) {
            GroupLayer l = randomReady();
            long group = l == null ? 0 : memberGroup(l);
            if (group != 0) {
                long lock = 1 + toolRandom.nextInt(k.locksPerGroup());
                if (tools[l.self().node()].acquire(group, lock)) {
                    record(GroupTraceEvent.tool(tick, GroupTraceEvent.Type.LOCK_ASK, l.self(), group, 0,
                            new GroupTraceEvent.LockInfo(lock, null)));
                }
                collect(l);
            }
        }
        if (toolRandom.nextInt(1000) < k.dataPerMille()) {
            GroupLayer l = randomReady();
            long group = l == null ? 0 : memberGroup(l);
            if (group != 0) {
                Toolkit t = tools[l.self().node()];
                String value = "v" + (++payloadCounter);
                if (toolRandom.nextInt(4) == 0) {
                    t.setConfig(group, value.getBytes(StandardCharsets.UTF_8));
                } else {
                    t.put(group, "k" + toolRandom.nextInt(4),
                            toolRandom.nextInt(5) == 0 ? null : value.getBytes(StandardCharsets.UTF_8));
                }
                collect(l);
            }
        }
    }

    private long memberGroupMostly(GroupLayer l) {
        long group = 1 + toolRandom.nextInt(scenario.groups());
        if (toolRandom.nextInt(100) >= scenario.clientPercent()) {
            for (int tries = 0; tries < 8 && !l.isMember(group); tries++) {
                group = 1 + toolRandom.nextInt(scenario.groups());
            }
        }
        return group;
    }

    /** A group the process belongs to, or 0. */
    private long memberGroup(GroupLayer l) {
        for (int tries = 0; tries < 8; tries++) {
            long group = 1 + toolRandom.nextInt(scenario.groups());
            if (l.isMember(group)) {
                return group;
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------ liveness

    private List<Violation> livenessViolations() {
        List<Violation> out = new ArrayList<>();
        List<ProcessId> live = new ArrayList<>();
        GroupLayer reference = null;
        for (int i = 0; i < layers.length; i++) {
            GroupLayer l = layers[i];
            if (l == null) {
                out.add(new Violation(Property.GROUP_LIVENESS, "slot " + i + " is down at the end"));
                continue;
            }
            live.add(l.self());
            if (l.transfersInProgress() > 0) {
                out.add(new Violation(Property.STATE_TRANSFER, l.self() + " still receives state after healing: "
                        + l.describeTransfers()));
                continue;
            }
            if (!l.isQuiescent()) {
                out.add(new Violation(Property.GROUP_LIVENESS, l.self() + " is not quiescent: engine "
                        + l.engine().state() + " (" + l.engine().stateReason() + "), directory ready "
                        + l.isDirectoryReady()));
                continue;
            }
            if (reference == null) {
                reference = l;
            } else if (reference.engine().view().id() != l.engine().view().id()) {
                out.add(new Violation(Property.GROUP_LIVENESS, "LAN views differ at the end"));
            } else if (!reference.directory().equals(l.directory())) {
                out.add(new Violation(Property.GROUP_LIVENESS, "group directories differ at the end: "
                        + reference.self() + " and " + l.self()));
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        if (!new HashSet<>(reference.engine().view().members()).equals(new HashSet<>(live))) {
            out.add(new Violation(Property.GROUP_LIVENESS, "final LAN view is not the live set " + live));
            return out;
        }
        if (!later.isEmpty()) {
            out.add(new Violation(Property.GROUP_LIVENESS, later.size() + " application actions still due"));
            return out;
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i].pendingCalls() > 0) {
                out.add(new Violation(Property.RPC_COMPLETION, layers[i].self() + " has " + layers[i].pendingCalls()
                        + " group RPCs that never completed"));
            }
            if (tools[i].waiting() > 0) {
                out.add(new Violation(Property.LOCK_LIVENESS, layers[i].self() + " waits for " + tools[i].waiting()
                        + " locks after healing"));
            }
        }
        for (int i = 0; i < layers.length; i++) {
            if (!apps[i].notHolding().isEmpty()) {
                out.add(new Violation(Property.STATE_TRANSFER, layers[i].self() + " is a member of groups "
                        + apps[i].notHolding() + " without their state after healing"));
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        out.addAll(toolLiveness(live));
        if (!out.isEmpty()) {
            return out;
        }
        for (Map.Entry<ProcessId, Set<Long>> e : unsent.entrySet()) {
            if (live.contains(e.getKey()) && !e.getValue().isEmpty()) {
                out.add(new Violation(Property.GROUP_LIVENESS, e.getKey() + " never sent group requests " + e.getValue()));
            }
        }
        out.addAll(undelivered(live));
        return out;
    }

    private record MemberView(ProcessId p, long groupId, long viewId) {
    }

    /**
     * From the trace, not the layers' own bookkeeping: every call a live process made has its result, and
     * every lock it asked for was granted unless it left the group after asking.
     */
    private List<Violation> toolLiveness(List<ProcessId> live) {
        Set<CallId> results = new HashSet<>();
        Map<String, Integer> asked = new HashMap<>();
        for (GroupTraceEvent t : trace) {
            switch (t.type()) {
                case RESULT -> results.add(((GroupTraceEvent.ResultInfo) t.detail()).id());
                case LOCK_ASK -> asked.merge(t.process() + "/" + t.groupId() + "/"
                        + ((GroupTraceEvent.LockInfo) t.detail()).lock(), 1, Integer::sum);
                case GRANT -> asked.computeIfPresent(t.process() + "/" + t.groupId() + "/"
                        + ((GroupTraceEvent.LockInfo) t.detail()).lock(), (k, n) -> n > 1 ? n - 1 : null);
                case VIEW -> {
                    if (!t.member()) {
                        String prefix = t.process() + "/" + t.groupId() + "/";
                        asked.keySet().removeIf(k -> k.startsWith(prefix));
                    }
                }
                default -> {
                }
            }
        }
        List<Violation> out = new ArrayList<>();
        for (GroupTraceEvent t : trace) {
            if (t.type() == GroupTraceEvent.Type.CALL && live.contains(t.process())) {
                CallId id = ((GroupTraceEvent.CallInfo) t.detail()).id();
                if (!results.contains(id)) {
                    out.add(new Violation(Property.RPC_COMPLETION, id + " of a live caller never completed"));
                    break;
                }
            }
        }
        for (String k : asked.keySet()) {
            ProcessId p = live.stream().filter(q -> k.startsWith(q + "/")).findFirst().orElse(null);
            if (p != null) {
                out.add(new Violation(Property.LOCK_LIVENESS, "lock request " + k + " of a live member never granted"));
                break;
            }
        }
        return out;
    }

    /** Every member message of a live sender is delivered by every live process that had its group view. */
    private List<Violation> undelivered(List<ProcessId> live) {
        Set<MemberView> installed = new HashSet<>();
        Set<String> delivered = new HashSet<>();
        List<GroupTraceEvent> sends = new ArrayList<>();
        for (GroupTraceEvent t : trace) {
            switch (t.type()) {
                case VIEW -> {
                    if (t.member()) {
                        installed.add(new MemberView(t.process(), t.groupId(), t.view().viewId()));
                    }
                }
                case DELIVER -> delivered.add(t.process() + "/" + t.message());
                case SEND -> sends.add(t);
                default -> {
                }
            }
        }
        List<Violation> out = new ArrayList<>();
        for (GroupTraceEvent s : sends) {
            if (!live.contains(s.process()) || s.groupViewId() == 0) {
                continue;
            }
            for (ProcessId q : live) {
                if (installed.contains(new MemberView(q, s.groupId(), s.groupViewId()))
                        && !delivered.contains(q + "/" + s.message())) {
                    out.add(new Violation(Property.GROUP_LIVENESS, q + " never delivered " + s.message() + " of g"
                            + s.groupId() + ".v" + s.groupViewId()));
                    if (out.size() >= 3) {
                        return out;
                    }
                }
            }
        }
        return out;
    }

    private void record(GroupTraceEvent e) {
        trace.add(e);
        String s = e.toString();
        for (int i = 0; i < s.length(); i++) {
            hash ^= s.charAt(i);
            hash *= 0x100000001b3L;
        }
    }
}
