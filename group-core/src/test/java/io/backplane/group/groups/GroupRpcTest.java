package io.backplane.group.groups;

import io.backplane.group.protocol.Kind;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Group RPC on a fault-free stepped cluster: counting, null replies, clients, and failure of repliers. */
class GroupRpcTest {
    private static final int TICKS_MAX = 2000;
    private static final long G = 7;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void joinAll(GroupTestCluster c, long group, int... nodes) {
        for (int n : nodes) {
            c.on(n, l -> l.join(group));
        }
        c.stepUntil("joined", TICKS_MAX, () -> {
            for (int n : nodes) {
                if (!c.layer(n).isMember(group)) {
                    return false;
                }
            }
            return c.quiescent();
        });
    }

    private static List<GroupEffect.Call> calls(GroupTestCluster c, int node) {
        List<GroupEffect.Call> out = new ArrayList<>();
        for (GroupEffect e : c.seen(node)) {
            if (e instanceof GroupEffect.Call call) {
                out.add(call);
            }
        }
        return out;
    }

    private static List<GroupEffect.RpcResult> results(GroupTestCluster c, int node) {
        List<GroupEffect.RpcResult> out = new ArrayList<>();
        for (GroupEffect e : c.seen(node)) {
            if (e instanceof GroupEffect.RpcResult r) {
                out.add(r);
            }
        }
        return out;
    }

    /** Every member answers every call it has not answered yet: node n replies "r<n>", or null if nullFrom. */
    private static void answerAll(GroupTestCluster c, int nullFrom, int... nodes) {
        for (int n : nodes) {
            if (c.layer(n) == null) {
                continue;
            }
            for (GroupEffect.Call call : calls(c, n)) {
                c.seen(n).remove(call);
                int node = n;
                c.on(n, l -> {
                    if (node == nullFrom) {
                        l.nullReply(call);
                    } else {
                        l.reply(call, bytes("r" + node));
                    }
                });
            }
        }
    }

    @Test
    void aClientCallWantingAllCountsNullRepliesAndCompletesOnce() {
        GroupTestCluster c = new GroupTestCluster(4, 4);
        joinAll(c, G, 0, 1, 2);
        c.on(3, l -> l.call(G, Kind.CBCAST, bytes("q"), Want.ALL));
        c.stepUntil("result", TICKS_MAX, () -> {
            answerAll(c, 2, 0, 1, 2);
            return !results(c, 3).isEmpty() && c.quiescent();
        });
        answerAll(c, 2, 0, 1, 2); // a second answer from everyone: counted once
        c.stepUntil("quiet", TICKS_MAX, c::quiescent);
        List<GroupEffect.RpcResult> r = results(c, 3);
        assertThat(r).hasSize(1);
        assertThat(r.get(0).ok()).isTrue();
        assertThat(r.get(0).replies()).extracting(x -> new String(x.value(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("r0", "r1");
        assertThat(r.get(0).nullRepliers()).containsExactly(c.layer(2).self());
    }

    @Test
    void noneCompletesAtOnceAndQuorumWaitsForAMajority() {
        GroupTestCluster c = new GroupTestCluster(3, 3);
        joinAll(c, G, 0, 1, 2);
        c.on(0, l -> l.call(G, Kind.ABCAST, bytes("n"), Want.NONE));
        c.stepUntil("none result", TICKS_MAX, () -> !results(c, 0).isEmpty());
        assertThat(results(c, 0).get(0).ok()).isTrue();
        c.seen(0).clear();
        c.on(0, l -> l.call(G, Kind.ABCAST, bytes("q"), Want.QUORUM));
        c.stepUntil("quorum result", TICKS_MAX, () -> {
            answerAll(c, -1, 0, 1); // node 2 stays silent: 2 of 3 is a quorum
            return !results(c, 0).isEmpty();
        });
        assertThat(results(c, 0).get(0).ok()).isTrue();
        assertThat(results(c, 0).get(0).replies()).hasSize(2);
    }

    @Test
    void aCallFailsWhenTooFewPossibleRepliersRemain() {
        GroupTestCluster c = new GroupTestCluster(5, 5);
        joinAll(c, G, 0, 1, 2);
        c.on(3, l -> l.call(G, Kind.CBCAST, bytes("q"), Want.ALL));
        c.stepUntil("delivered", TICKS_MAX, () -> !calls(c, 0).isEmpty() && !calls(c, 1).isEmpty());
        answerAll(c, -1, 0);
        c.crash(2);
        c.stepUntil("result", TICKS_MAX * 5, () -> !results(c, 3).isEmpty());
        answerAll(c, -1, 0, 1);
        c.stepUntil("quiet", TICKS_MAX * 5, c::quiescent);
        assertThat(results(c, 3)).hasSize(1);
        assertThat(results(c, 3).get(0).error()).contains("remain");
        // a voluntary leave also ends a call that needed the leaver
        c.seen(3).clear();
        c.on(3, l -> l.call(G, Kind.CBCAST, bytes("q2"), Want.ALL));
        c.stepUntil("delivered", TICKS_MAX, () -> !calls(c, 1).isEmpty());
        c.on(1, l -> l.leave(G));
        c.stepUntil("result", TICKS_MAX * 5, () -> !results(c, 3).isEmpty());
        assertThat(results(c, 3).get(0).ok()).isFalse();
        assertThat(c.layer(3).pendingCalls()).isZero();
    }

    @Test
    void aCallToAnEmptyGroupOrWantingMoreThanTheViewFails() {
        GroupTestCluster c = new GroupTestCluster(3, 3);
        c.on(0, l -> l.call(99, Kind.CBCAST, bytes("q"), Want.ONE));
        joinAll(c, G, 1);
        c.on(0, l -> l.call(G, Kind.CBCAST, bytes("q"), Want.k(2)));
        c.stepUntil("results", TICKS_MAX, () -> results(c, 0).size() == 2);
        assertThat(results(c, 0)).allMatch(r -> !r.ok());
    }
}
