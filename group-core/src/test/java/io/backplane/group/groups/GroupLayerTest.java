package io.backplane.group.groups;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.ProcessId;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Stepping scenarios of the group layer on a fault-free cluster; the simulator covers faults. */
class GroupLayerTest {
    private static final int TICKS_MAX = 2000;
    private static final long G = 7;
    private static final long H = 8;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void joinAll(GroupTestCluster c, long group, int... nodes) {
        for (int n : nodes) {
            c.on(n, l -> l.join(group));
        }
        c.stepUntil("joined " + group, TICKS_MAX, () -> {
            for (int n : nodes) {
                if (!c.layer(n).isMember(group)) {
                    return false;
                }
            }
            return c.quiescent();
        });
    }

    @Test
    void aJoinerDeliversExactlyTheMessagesAfterItsJoinPointAndEveryMemberAgreesOnTheViews() {
        // Shows that a join falls at one point of the group's message stream at every member.
        GroupTestCluster c = new GroupTestCluster(3, 3);
        joinAll(c, G, 0, 1);
        for (int i = 0; i < 20; i++) {
            int sender = i % 2;
            String payload = "m" + i;
            c.on(sender, l -> l.multicast(G, Kind.ABCAST, bytes(payload)));
            if (i == 10) {
                c.on(2, l -> l.join(G));
            }
            c.step();
        }
        c.stepUntil("all delivered", TICKS_MAX,
                () -> c.delivered(0, G).size() == 20 && c.delivered(1, G).size() == 20 && c.quiescent());

        List<GroupView> views0 = c.views(0, G);
        List<GroupView> views1 = c.views(1, G);
        assertThat(views0.subList(views0.size() - views1.size(), views0.size())).isEqualTo(views1);
        GroupView joined = c.views(2, G).get(0);
        assertThat(joined.members()).contains(c.layer(2).self());
        List<String> all = c.delivered(0, G);
        assertThat(all).hasSize(20).isEqualTo(c.delivered(1, G));
        // The joiner delivers exactly the suffix after the messages counted before its view.
        assertThat(c.delivered(2, G)).isEqualTo(all.subList((int) joined.deliveredBefore(), all.size()));
    }

    @Test
    void aLanCrashGivesEveryAffectedGroupItsNewViewInOneFlushWithoutGroupMessages() {
        // Shows the cost of a crash is independent of the number of groups: no group-layer multicast at all.
        GroupTestCluster c = new GroupTestCluster(3, 3);
        int groups = 200;
        for (long g = 1; g <= groups; g++) {
            for (int n = 0; n < 3; n++) {
                long group = g;
                c.on(n, l -> l.join(group));
            }
        }
        c.stepUntil("all joined", TICKS_MAX * 5, () -> c.quiescent() && c.layer(2).isMember(groups));
        ProcessId crashed = c.layer(2).self();
        long dataBefore = c.dataFramesSent;

        c.crash(2);
        c.stepUntil("survivors see every group without the crashed member", TICKS_MAX, () -> {
            for (long g = 1; g <= groups; g++) {
                if (c.layer(0).groupView(g).contains(crashed) || c.layer(1).groupView(g).contains(crashed)) {
                    return false;
                }
            }
            return c.quiescent();
        });

        assertThat(c.dataFramesSent - dataBefore).as("multicasts caused by the crash").isZero();
        assertThat(c.layer(0).directory()).isEqualTo(c.layer(1).directory());
        assertThat(c.layer(0).lanGroupUpdates()).isEqualTo(groups);
    }

    @Test
    void groupFlushesAreNeverLostWhenTheEngineQueueIsSmall() {
        // Shows control messages wait for room in the engine's bounded request queue instead of being
        // refused: 40 joins delivered together make each member owe 40 group flushes at once.
        io.backplane.group.protocol.EngineConfig small = new io.backplane.group.protocol.EngineConfig(
                3, 15, 60, 4, 5, 40, 10, 8, 1, 4096, 1024, 8192, 64, java.util.Set.of());
        GroupTestCluster c = new GroupTestCluster(3, 3, small, GroupLayerConfig.defaults());
        int groups = 40;
        for (long g = 1; g <= groups; g++) {
            long group = g;
            c.on(0, l -> l.join(group));
        }
        c.stepUntil("founder joined", TICKS_MAX, () -> c.quiescent() && c.layer(0).isMember(groups));
        for (long g = 1; g <= groups; g++) {
            long group = g;
            c.on(1, l -> l.join(group));
            c.on(2, l -> l.join(group));
        }
        c.stepUntil("everyone in every group", TICKS_MAX * 5, () -> {
            for (long g = 1; g <= groups; g++) {
                if (c.layer(0).groupView(g).members().size() != 3) {
                    return false;
                }
            }
            return c.quiescent();
        });
        assertThat(c.layer(1).directory()).isEqualTo(c.layer(0).directory()).isEqualTo(c.layer(2).directory());
    }

    @Test
    void aClientSendsToAGroupItIsNotInAndOnlyMembersDeliver() {
        GroupTestCluster c = new GroupTestCluster(3, 3);
        joinAll(c, G, 0, 1);
        c.on(2, l -> l.multicast(G, Kind.CBCAST, bytes("from a client")));
        c.stepUntil("delivered", TICKS_MAX, () -> c.delivered(1, G).size() == 1 && c.quiescent());

        assertThat(c.delivered(0, G)).containsExactly("from a client");
        assertThat(c.delivered(2, G)).isEmpty();
        GroupEffect.Sent sent = (GroupEffect.Sent) c.seen(2).stream().filter(e -> e instanceof GroupEffect.Sent)
                .findFirst().orElseThrow();
        assertThat(sent.groupViewId()).as("client sends carry no group view").isZero();
        assertThat(sent.kind()).as("a client's multicast is ordered").isEqualTo(Kind.ABCAST);
    }

    @Test
    void aProcessNewToTheLanGetsTheDirectoryAndCanJoinAnExistingGroup() {
        GroupTestCluster c = new GroupTestCluster(4, 3);
        joinAll(c, G, 0, 1, 2);
        joinAll(c, H, 1);
        c.startJoiner(3);
        c.stepUntil("directory", TICKS_MAX, () -> c.layer(3).isDirectoryReady() && c.quiescent());
        assertThat(c.layer(3).directory()).isEqualTo(c.layer(0).directory());

        joinAll(c, G, 3);
        assertThat(c.layer(3).groupView(G).members()).hasSize(4);
        assertThat(c.layer(3).directory()).isEqualTo(c.layer(1).directory());
    }

    @Test
    void aMonitorIsToldEveryViewOfAGroupItDoesNotBelongTo() {
        GroupTestCluster c = new GroupTestCluster(3, 3);
        c.layer(2).monitor(G);
        joinAll(c, G, 0, 1);
        c.on(0, l -> l.leave(G));
        c.stepUntil("left", TICKS_MAX, () -> !c.layer(0).isMember(G) && c.quiescent());

        assertThat(c.views(2, G)).isEqualTo(c.views(0, G)).hasSize(3);
        assertThat(c.views(2, G).get(2).members()).containsExactly(c.layer(1).self());
        assertThat(c.seen(2)).noneMatch(e -> e instanceof GroupEffect.ViewChange v && v.member());
    }

    @Test
    void aMemberMessageAskedDuringAGroupFlushIsSentInTheNextView() {
        // Shows the sending-view rule: a member does not send into a view that is being closed.
        GroupTestCluster c = new GroupTestCluster(3, 3);
        joinAll(c, G, 0, 1);
        c.on(2, l -> l.join(G));
        c.step(); // the join is delivered; the group flush is under way
        c.on(0, l -> l.multicast(G, Kind.CBCAST, bytes("during flush")));
        c.stepUntil("delivered", TICKS_MAX, () -> c.delivered(2, G).size() == 1 && c.quiescent());

        GroupEffect.Sent sent = (GroupEffect.Sent) c.seen(0).stream().filter(e -> e instanceof GroupEffect.Sent)
                .reduce((a, b) -> b).orElseThrow();
        assertThat(sent.groupViewId()).isEqualTo(c.layer(2).groupView(G).viewId());
        assertThat(c.delivered(1, G)).containsExactly("during flush");
    }
}
