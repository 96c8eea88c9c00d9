package io.backplane.group.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-built membership scenarios on {@link LocalCluster} that a random simulation reaches only rarely:
 * stale commits reaching a joiner, a whole group leaving at once, a member that can send but not hear.
 * Each asserts that the group ends in one view with its multicasts flowing.
 */
class MembershipScenariosTest {
    private final EngineConfig config = EngineConfig.defaults();

    /**
     * A joiner J is admitted in v2 but the commit is held back; J goes quiet, v3 drops it, and v4 admits
     * it again. The v1→v2 commit then arrives: J must not install v2 (a view that already ended), and if
     * a member does end up behind a view it cannot reach, the group must not wedge on it.
     */
    @Test
    void aStaleCommitReachingAReaddedJoinerDoesNotWedgeTheGroup() {
        LocalCluster c = new LocalCluster(3, config);
        List<Packet> heldCommits = new ArrayList<>();
        boolean[] releaseToJ = {false};
        boolean[] muteJ = {false};
        c.filter = p -> {
            if (p.from().node() == 3) {
                return !muteJ[0];
            }
            if (p.to().node() != 3) {
                return true;
            }
            if (p.frame() instanceof Frame.Commit cm && heldCommits.stream().noneMatch(
                    h -> ((Frame.Commit) h.frame()).proposal().next().id() == cm.proposal().next().id())) {
                heldCommits.add(p);
            }
            return releaseToJ[0];
        };
        Engine j = new Engine(new ProcessId(3, 1), config, null, c.nodes);
        c.add(j);
        for (int t = 0; t < 5000; t++) {
            c.step();
            muteJ[0] = c.e(0).view().id() == 2; // silent in v2, so v3 drops it; then it asks again
            if (c.e(0).view().id() >= 4 && c.e(0).view().contains(j.self())) {
                break;
            }
        }
        assertThat(c.e(0).view().id()).as("J was admitted, dropped and admitted again").isGreaterThanOrEqualTo(4);
        c.inject(heldCommits.get(0)); // the stale v1->v2 commit arrives first
        c.step();
        releaseToJ[0] = true;
        for (Packet h : heldCommits.subList(1, heldCommits.size())) {
            if (((Frame.Commit) h.frame()).proposal().prevViewId() != 2) { // the v2->v3 commit to J is lost
                c.inject(h);
            }
        }
        for (int k = 0; k < 4000; k++) {
            if (k % 2 == 0) {
                c.e(k % 3).multicast(Kind.CBCAST, ("x" + k).getBytes(StandardCharsets.UTF_8));
                c.collect(c.e(k % 3));
            }
            c.step();
        }
        c.run(2000);
        assertGroupConverged(c, 3);
        assertThat(j.view() == null || j.view().id() != 2 || j.isTerminated())
                .as("J does not sit in the dead view v2: " + j.state() + " " + j.view()).isTrue();
    }

    /**
     * A member cut off from everyone misses the view changes that drop it; meanwhile every other member
     * restarts as a new incarnation. When the cut heals, its heartbeats go to incarnations that no longer
     * exist: it must still find out that it was excluded (and rejoin) rather than sit unavailable forever.
     */
    @Test
    void aMemberWhoseWholeOldViewRestartedLearnsItWasExcluded() {
        LocalCluster c = new LocalCluster(5, config);
        for (int n = 0; n < 4; n++) {
            c.cut(n, 4);
        }
        ProcessId isolated = c.e(4).self();
        runUntil(c, () -> !c.e(0).view().contains(isolated));
        for (int n = 0; n < 4; n++) {
            ProcessId old = c.e(n).self();
            c.crash(n);
            int other = (n + 1) % 4;
            runUntil(c, () -> !c.e(other).view().contains(old));
            Engine fresh = new Engine(new ProcessId(n, 2), config, null, c.nodes);
            c.add(fresh);
            runUntil(c, () -> c.e(other).view().contains(fresh.self()) && fresh.state() == Engine.State.MEMBER);
        }
        c.heal();
        c.run(20 * config.suspectTimeoutTicksMax());
        assertThat(c.e(4).state()).as(isolated + " in " + c.e(4).view() + ": " + c.e(4).stateReason())
                .isEqualTo(Engine.State.EXCLUDED);
    }

    /**
     * p2 crashes, p1 asks to leave and a joiner asks once, then dies. The view change must not produce
     * {p0, joiner}: a two-member view in which the dead joiner holds a veto over every later change.
     */
    @Test
    void aLeaveAndADeadJoinerDoNotLeaveTheGroupHostageToTheJoiner() {
        LocalCluster c = new LocalCluster(3, config);
        c.run(10);
        Engine joiner = new Engine(new ProcessId(3, 1), config, null, c.nodes);
        c.add(joiner);
        c.crash(2);
        c.e(1).leave();
        c.collect(c.e(1));
        c.step();
        c.step();
        c.crash(3); // its JoinRequest is on the wire; it never asks again
        c.run(4000);
        for (int k = 0; k < 20; k++) {
            c.e(0).multicast(Kind.CBCAST, ("y" + k).getBytes(StandardCharsets.UTF_8));
            c.collect(c.e(0));
        }
        c.run(1000);
        Engine e0 = c.e(0);
        assertThat(e0.view().contains(joiner.self())).as("view " + e0.view()).isFalse();
        assertThat(e0.state()).isEqualTo(Engine.State.MEMBER);
        assertThat(e0.pendingRequests()).as("multicasts blocked in " + e0.view()).isZero();
        assertThat(c.deliveries(0)).contains("y19");
    }

    /**
     * Both members of a two-member group ask to leave at once. The view change keeps the coordinator
     * (a view cannot be empty); it must then leave too, not install a new single-member view every tick.
     */
    @Test
    void whenEveryMemberLeavesAtOnceTheLastOneLeavesInsteadOfReinstallingItself() {
        LocalCluster c = new LocalCluster(2, config);
        ProcessId p0 = c.e(0).self();
        ProcessId p1 = c.e(1).self();
        c.e(1).leave();
        c.collect(c.e(1));
        c.e(0).leave();
        c.collect(c.e(0));
        c.run(2000);
        assertThat(c.e(0).state()).as(c.e(0).stateReason()).isEqualTo(Engine.State.LEFT);
        assertThat(c.e(1).state()).as(c.e(1).stateReason()).isEqualTo(Engine.State.LEFT);
        assertThat(c.effects(p0, Effect.Left.class)).hasSize(1);
        assertThat(c.effects(p1, Effect.Left.class)).hasSize(1);
        assertThat(c.effects(p0, Effect.InstallView.class)).as("views installed by " + p0).hasSizeLessThanOrEqualTo(2);
    }

    /**
     * Node 4 can send but hears nothing (a half-open connection): its heartbeats keep arriving, so a
     * detector that only checks arrivals never suspects it, while it never acknowledges or delivers
     * anything, so stability and flow control hold every sender back. It must be excluded.
     */
    @Test
    void aMemberThatCanSendButNotHearIsExcludedRatherThanStallingTheGroup() {
        LocalCluster c = new LocalCluster(5, config);
        ProcessId deaf = c.e(4).self();
        for (int n = 0; n < 4; n++) {
            c.cutOneWay(n, 4);
        }
        int requested = 0;
        for (int t = 0; t < 6000; t++) {
            if (t % 2 == 0) {
                c.e(t % 4).multicast(Kind.CBCAST, ("m" + t).getBytes(StandardCharsets.UTF_8));
                c.collect(c.e(t % 4));
                requested++;
            }
            c.step();
        }
        c.run(2000);
        assertThat(c.e(0).view().contains(deaf)).as("view " + c.e(0).view()).isFalse();
        for (int n = 0; n < 4; n++) {
            assertThat(c.e(n).pendingRequests()).as(c.e(n).self() + " multicasts stuck").isZero();
            assertThat(c.e(n).view()).isEqualTo(c.e(0).view());
        }
        assertThat(c.deliveries(0)).hasSize(requested);
    }

    private static void runUntil(LocalCluster c, java.util.function.BooleanSupplier done) {
        for (int t = 0; t < 20_000 && !done.getAsBoolean(); t++) {
            c.step();
        }
        assertThat(done.getAsBoolean()).as("condition reached within 20000 ticks").isTrue();
    }

    /** Nodes 0..n-1 agree on one view and have nothing left to send. */
    static void assertGroupConverged(LocalCluster c, int n) {
        View first = c.e(0).view();
        for (int node = 0; node < n; node++) {
            Engine e = c.e(node);
            assertThat(e.state()).as(e.self() + " " + e.stateReason()).isEqualTo(Engine.State.MEMBER);
            assertThat(e.view()).as(e.self() + " view").isEqualTo(first);
            assertThat(e.pendingRequests()).as(e.self() + " multicasts stuck in flow control").isZero();
        }
        for (Engine e : c.engines.values()) {
            if (!e.isTerminated()) {
                assertThat(e.view()).as("live " + e.self() + " is in the group's view").isEqualTo(first);
            }
        }
    }
}
