package io.backplane.group.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Stepping tests of engines on a hand-driven, lossless cluster with an explicit tick count. */
class EngineSteppingTest {
    private final EngineConfig config = EngineConfig.defaults();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCbcastIsDeliveredByEveryMemberIncludingTheSender() {
        LocalCluster c = new LocalCluster(3, config);
        c.e(1).multicast(Kind.CBCAST, b("hello"));
        c.collect(c.e(1));
        c.run(3);
        for (int n = 0; n < 3; n++) {
            assertThat(c.deliveries(n)).containsExactly("hello");
        }
    }

    @Test
    void aOneMemberViewKeepsSendingPastItsSendWindow() {
        // Nobody else reports stability in a view of one, so its own deliveries must free its send
        // window (found by the WAN tests: a clustered LAN of one node stalled after ~120 posts).
        LocalCluster c = new LocalCluster(1, config);
        int n = config.sendWindowMax() * 3;
        for (int i = 0; i < n; i++) {
            c.e(0).multicast(i % 2 == 0 ? Kind.ABCAST : Kind.CBCAST, b("m" + i));
            c.collect(c.e(0));
            c.run(1);
        }
        c.run(3);
        assertThat(c.deliveries(0)).hasSize(n);
        long stable = c.seen.get(c.e(0).self()).stream().filter(e -> e instanceof Effect.Stable)
                .mapToLong(e -> ((Effect.Stable) e).abcastThrough()).max().orElse(0);
        assertThat(stable).isEqualTo(n / 2);
    }

    @Test
    void multicastsOfOneEventLeaveAsOneBatchPerPeerAndAreDeliveredInOrder() {
        LocalCluster c = new LocalCluster(3, config);
        for (int i = 0; i < 5; i++) {
            c.e(0).multicast(Kind.ABCAST, b("a" + i)); // the sequencer: it also orders them in one batch
        }
        List<Effect> out = c.e(0).drainEffects();
        List<Frame> frames = out.stream().filter(e -> e instanceof Effect.Transmit)
                .map(e -> ((Effect.Transmit) e).packet().frame()).toList();
        assertThat(frames).filteredOn(f -> f instanceof Frame.DataBatch).hasSize(2)
                .allSatisfy(f -> assertThat(((Frame.DataBatch) f).messages()).hasSize(5));
        assertThat(frames).filteredOn(f -> f instanceof Frame.OrderBatch).hasSize(2)
                .allSatisfy(f -> assertThat(((Frame.OrderBatch) f).ids()).hasSize(5));
        assertThat(frames).noneMatch(f -> f instanceof Frame.Data);
        for (Effect e : out) {
            if (e instanceof Effect.Transmit t) {
                c.engines.get(t.packet().to().node()).onPacket(t.packet());
            }
        }
        c.collect(c.e(1));
        c.collect(c.e(2));
        c.run(3);
        for (int n = 1; n < 3; n++) {
            assertThat(c.deliveries(n)).containsExactly("a0", "a1", "a2", "a3", "a4");
        }
    }

    @Test
    void stagedMulticastsLeaveBeforeAnyLaterFrameToTheSamePeer() {
        LocalCluster c = new LocalCluster(3, config);
        c.e(1).multicast(Kind.CBCAST, b("first"));
        c.e(1).leave(); // a reliable LeaveRequest to the coordinator, in the same event as the multicast
        List<Packet> toCoordinator = c.e(1).drainEffects().stream().filter(e -> e instanceof Effect.Transmit)
                .map(e -> ((Effect.Transmit) e).packet()).filter(p -> p.to().node() == 0).toList();
        assertThat(toCoordinator).extracting(p -> p.frame().getClass().getSimpleName())
                .containsExactly("Data", "LeaveRequest");
        assertThat(toCoordinator.get(0).seq()).isLessThan(toCoordinator.get(1).seq());
    }

    @Test
    void abcastsFromSeveralSendersAreDeliveredInOneOrderEverywhere() {
        LocalCluster c = new LocalCluster(3, config);
        for (int round = 0; round < 5; round++) {
            for (int n = 0; n < 3; n++) {
                c.e(n).multicast(Kind.ABCAST, b("m" + n + "." + round));
                c.collect(c.e(n));
            }
            c.step();
        }
        c.run(10);
        assertThat(c.deliveries(0)).hasSize(15);
        assertThat(c.deliveries(1)).isEqualTo(c.deliveries(0));
        assertThat(c.deliveries(2)).isEqualTo(c.deliveries(0));
    }

    @Test
    void aCbcastSentAfterDeliveringAnotherIsDeliveredAfterItEverywhere() {
        LocalCluster c = new LocalCluster(3, config);
        c.cut(0, 2); // 2 hears the reply from 1 before the original from 0 ... until the retransmission
        c.e(0).multicast(Kind.CBCAST, b("question"));
        c.collect(c.e(0));
        c.run(2);
        assertThat(c.deliveries(1)).containsExactly("question");
        c.e(1).multicast(Kind.CBCAST, b("answer"));
        c.collect(c.e(1));
        c.run(3);
        assertThat(c.deliveries(2)).isEmpty(); // the answer waits for its causal predecessor
        c.heal();
        c.run(config.retransmitIntervalTicks() + 3);
        assertThat(c.deliveries(2)).containsExactly("question", "answer");
    }

    @Test
    void aCrashedMemberIsExcludedByAViewChangeAfterTheSuspectTimeout() {
        LocalCluster c = new LocalCluster(3, config);
        c.run(10);
        c.crash(2);
        c.run(config.suspectTimeoutTicksMin() + 20);
        assertThat(c.e(0).view().members()).containsExactly(new ProcessId(0, 1), new ProcessId(1, 1));
        assertThat(c.e(1).view()).isEqualTo(c.e(0).view());
        assertThat(c.e(0).view().id()).isEqualTo(2);
    }

    @Test
    void theCoordinatorsCrashIsHandledByTheNextOldestMember() {
        LocalCluster c = new LocalCluster(3, config);
        c.run(10);
        c.crash(0);
        c.run(config.suspectTimeoutTicksMin() + 20);
        assertThat(c.e(1).view().members()).containsExactly(new ProcessId(1, 1), new ProcessId(2, 1));
        assertThat(c.e(2).view()).isEqualTo(c.e(1).view());
    }

    @Test
    void messagesOnlyTheCrashedSenderAndOneSurvivorHadAreDeliveredByAllSurvivorsBeforeTheNewView() {
        LocalCluster c = new LocalCluster(3, config);
        c.run(5);
        c.cut(2, 1); // 1 will not hear 2's message directly
        c.e(2).multicast(Kind.CBCAST, b("last words"));
        c.collect(c.e(2));
        c.run(1);
        c.crash(2);
        c.run(config.suspectTimeoutTicksMin() + 30);
        assertThat(c.deliveries(0)).containsExactly("last words");
        assertThat(c.deliveries(1)).containsExactly("last words"); // relayed by the flush
        List<Effect> seen1 = c.seen.get(c.e(1).self());
        int delivered = -1;
        int installed = -1;
        for (int i = 0; i < seen1.size(); i++) {
            if (seen1.get(i) instanceof Effect.Deliver) {
                delivered = i;
            } else if (seen1.get(i) instanceof Effect.InstallView iv && iv.view().id() == 2) {
                installed = i;
            }
        }
        assertThat(delivered).isLessThan(installed); // delivered in the view it was sent in
    }

    @Test
    void aMinorityBlocksAndSaysSoWhileTheMajorityMovesOn() {
        LocalCluster c = new LocalCluster(3, config);
        c.run(5);
        c.cut(0, 2);
        c.cut(1, 2);
        c.run(config.suspectTimeoutTicksMin() + 30);
        assertThat(c.e(0).view().members()).hasSize(2);
        assertThat(c.e(2).view().id()).isEqualTo(1);
        assertThat(c.effects(c.e(2).self(), Effect.Availability.class))
                .anySatisfy(a -> assertThat(a.available()).isFalse());
        c.e(2).multicast(Kind.CBCAST, b("from the minority"));
        c.collect(c.e(2));
        c.run(3);
        assertThat(c.effects(c.e(2).self(), Effect.Sent.class)).isEmpty(); // queued, not sent, while blocked
    }

    @Test
    void anExcludedProcessLearnsItOnHealingAndItsOldIncarnationIsIgnored() {
        LocalCluster c = new LocalCluster(3, config);
        c.run(5);
        c.cut(0, 2);
        c.cut(1, 2);
        c.run(config.suspectTimeoutTicksMin() + 30);
        ProcessId old = c.e(2).self();
        c.heal();
        c.run(config.heartbeatIntervalTicks() * 3);
        assertThat(c.e(2).state()).isEqualTo(Engine.State.EXCLUDED);
        assertThat(c.effects(old, Effect.Excluded.class)).hasSize(1);
        // its frames are ignored: a packet from it does not reach the members' multicast layer
        c.e(0).onPacket(new Packet(old, c.e(0).self(), 0, 0, new Frame.Data(
                new Message(new MessageId(old, 99), c.e(0).view().id(), Kind.CBCAST, new long[] {0, 0, 1}, b("zombie")))));
        c.collect(c.e(0));
        assertThat(c.deliveries(0)).doesNotContain("zombie");
        // and it comes back as a new incarnation through a join
        c.add(new Engine(new ProcessId(2, 2), config, null, c.nodes));
        c.run(config.joinRetryTicks() + 40);
        assertThat(c.e(0).view().members()).contains(new ProcessId(2, 2));
        assertThat(c.e(2).view()).isEqualTo(c.e(0).view());
    }

    @Test
    void aViewChangeAdmitsFewerJoinersThanItKeepsSoItsMajorityNeverDependsOnJoiners() {
        LocalCluster c = new LocalCluster(3, config);
        List<Integer> nodes = List.of(0, 1, 2, 3, 4, 5);
        for (int n = 3; n < 6; n++) {
            c.add(new Engine(new ProcessId(n, 1), config, null, nodes));
        }
        c.run(config.joinRetryTicks() + 60);
        List<View> installed = c.effects(c.e(0).self(), Effect.InstallView.class).stream()
                .map(Effect.InstallView::view).toList();
        assertThat(installed).extracting(View::size).containsExactly(3, 5, 6); // 3 kept admit 2, then 5 admit 1
        assertThat(c.e(5).view()).isEqualTo(c.e(0).view());
    }

    @Test
    void aMemberThatLeavesIsRemovedAndToldSo() {
        LocalCluster c = new LocalCluster(3, config);
        c.run(5);
        ProcessId leaver = c.e(1).self();
        c.e(1).leave();
        c.collect(c.e(1));
        c.run(20);
        assertThat(c.effects(leaver, Effect.Left.class)).hasSize(1);
        assertThat(c.e(0).view().members()).doesNotContain(leaver);
    }

    @Test
    void stabilizeReportsOnceEarlierMulticastsAreDeliveredEverywhere() {
        LocalCluster c = new LocalCluster(3, config);
        c.e(0).multicast(Kind.CBCAST, b("x"));
        long token = c.e(0).stabilize();
        c.collect(c.e(0));
        assertThat(c.effects(c.e(0).self(), Effect.Stabilized.class)).isEmpty();
        c.run(config.stabilityIntervalTicks() * 2 + 2);
        assertThat(c.effects(c.e(0).self(), Effect.Stabilized.class)).extracting(Effect.Stabilized::token)
                .containsExactly(token);
    }

    @Test
    void aFullRequestQueueRejectsInsteadOfGrowing() {
        EngineConfig tiny = new EngineConfig(5, 50, 200, 10, 10, 100, 20, 1, 2, 16384, 4096, 65536, 256,
                java.util.Set.of());
        LocalCluster c = new LocalCluster(3, tiny);
        for (int i = 0; i < 5; i++) {
            c.e(0).multicast(Kind.CBCAST, b("m" + i));
        }
        c.collect(c.e(0));
        // window 1: one sent; queue 2: two wait; the rest are rejected
        assertThat(c.effects(c.e(0).self(), Effect.Sent.class)).hasSize(1);
        assertThat(c.effects(c.e(0).self(), Effect.Rejected.class)).hasSize(2);
        c.run(60);
        assertThat(c.deliveries(2)).containsExactly("m0", "m1", "m2");
    }

    // ---------------------------------------------------------------- Effect.Stable

    @Test
    void aLoneMemberReportsEachAbcastStableAsSoonAsItDeliversIt() {
        LocalCluster c = new LocalCluster(1, config);
        ProcessId self = c.e(0).self();
        c.e(0).multicast(Kind.ABCAST, b("a1"));
        c.e(0).multicast(Kind.CBCAST, b("c1"));
        c.collect(c.e(0));
        assertThat(c.seen.get(self)).filteredOn(e -> e instanceof Effect.Deliver || e instanceof Effect.Stable)
                .map(e -> e instanceof Effect.Deliver d ? new String(d.payload(), StandardCharsets.UTF_8) : e.toString())
                .containsExactly("a1", new Effect.Stable(1, 1).toString(), "c1");
        c.e(0).multicast(Kind.ABCAST, b("a2"));
        c.collect(c.e(0));
        assertThat(c.effects(self, Effect.Stable.class)).containsExactly(new Effect.Stable(1, 1), new Effect.Stable(1, 2));
    }

    @Test
    void threeMembersReportAnAbcastStableOnlyOnceTheSlowestHasDeliveredIt() {
        LocalCluster c = new LocalCluster(3, config.withPromptStability(true));
        // node 2 misses the sequencer's order until the filter is lifted (then the retransmission gets through)
        c.filter = p -> !(p.to().node() == 2 && p.frame() instanceof Frame.OrderBatch);
        c.e(1).multicast(Kind.ABCAST, b("x"));
        c.collect(c.e(1));
        c.run(5);
        assertThat(c.deliveries(0)).containsExactly("x");
        assertThat(c.deliveries(1)).containsExactly("x");
        assertThat(c.deliveries(2)).isEmpty();
        for (int n = 0; n < 3; n++) {
            assertThat(c.effects(c.e(n).self(), Effect.Stable.class)).as("node %d", n).isEmpty();
        }
        c.filter = null;
        int ticks = 0;
        while (c.deliveries(2).isEmpty() && ticks++ < config.retransmitIntervalTicks() * 3) {
            c.step();
        }
        assertThat(c.deliveries(2)).containsExactly("x");
        // prompt stability: node 2 reports at its next tick, the report arrives one tick later
        c.run(2);
        for (int n = 0; n < 3; n++) {
            assertThat(c.effects(c.e(n).self(), Effect.Stable.class)).as("node %d", n)
                    .containsExactly(new Effect.Stable(1, 1));
        }
    }

    @Test
    void withoutPromptStabilityTheReportWaitsForThePeriodicGossip() {
        LocalCluster c = new LocalCluster(3, config);
        c.e(0).multicast(Kind.ABCAST, b("x"));
        c.collect(c.e(0));
        c.run(3);
        for (int n = 0; n < 3; n++) {
            assertThat(c.deliveries(n)).containsExactly("x");
            assertThat(c.effects(c.e(n).self(), Effect.Stable.class)).isEmpty();
        }
        c.run(config.stabilityIntervalTicks());
        for (int n = 0; n < 3; n++) {
            assertThat(c.effects(c.e(n).self(), Effect.Stable.class)).containsExactly(new Effect.Stable(1, 1));
        }
    }

    @Test
    void aViewChangeReportsNothingStableForTheViewItEnds() {
        LocalCluster c = new LocalCluster(3, config.withPromptStability(true));
        // node 2 delivers but its stability reports are lost; then it crashes
        c.filter = p -> !(p.from().node() == 2 && p.frame() instanceof Frame.Stability);
        c.e(0).multicast(Kind.ABCAST, b("x"));
        c.collect(c.e(0));
        c.run(5);
        assertThat(c.deliveries(2)).containsExactly("x");
        c.crash(2);
        c.filter = null;
        int ticks = 0;
        while (c.e(0).view().id() == 1 && ticks++ < 2000) {
            c.step();
        }
        assertThat(c.e(0).view().members()).hasSize(2);
        for (int n = 0; n < 2; n++) {
            assertThat(c.effects(c.e(n).self(), Effect.Stable.class)).as("node %d", n).isEmpty();
        }
        long v2 = c.e(0).view().id();
        c.e(1).multicast(Kind.ABCAST, b("y"));
        c.collect(c.e(1));
        c.run(4);
        for (int n = 0; n < 2; n++) {
            assertThat(c.effects(c.e(n).self(), Effect.Stable.class)).as("node %d", n)
                    .containsExactly(new Effect.Stable(v2, 1));
        }
    }

    @Test
    void aJoiningEngineFoundsAViewOfItselfNewerThanAnyItHeardOfAndOnlyOnce() {
        Engine e = new Engine(new ProcessId(7, 1), config, null, List.of());
        e.updateSeedNodes(List.of(9, 3, 9));
        assertThat(e.seedNodes()).containsExactly(3, 9);
        e.onPacket(new Packet(new ProcessId(3, 2), new ProcessId(7, ProcessId.ANY_INCARNATION), 0, 0,
                new Frame.Heartbeat(4, 0)));
        assertThat(e.highestViewIdSeen()).isEqualTo(4);
        assertThat(e.found(2)).isTrue();
        assertThat(e.view()).isEqualTo(new View(5, List.of(new ProcessId(7, 1))));
        assertThat(e.state()).isEqualTo(Engine.State.MEMBER);
        assertThat(e.drainEffects()).anyMatch(x -> x instanceof Effect.InstallView);
        assertThat(e.found(99)).isFalse();
    }

    @Test
    void aJoiningEngineSendsJoinRequestsToTheSeedsItIsGiven() {
        Engine e = new Engine(new ProcessId(7, 1), config, null, List.of());
        e.updateSeedNodes(List.of(3, 7));
        e.onTick();
        assertThat(e.drainEffects()).filteredOn(x -> x instanceof Effect.Transmit)
                .extracting(x -> ((Effect.Transmit) x).packet())
                .containsExactly(new Packet(new ProcessId(7, 1), new ProcessId(3, ProcessId.ANY_INCARNATION), 0, 0,
                        new Frame.JoinRequest()));
    }
}
