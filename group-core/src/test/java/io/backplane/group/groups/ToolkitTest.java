package io.backplane.group.groups;

import io.backplane.group.toolkit.ToolEffect;
import io.backplane.group.toolkit.Toolkit;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The toolkit on a fault-free stepped cluster (the simulator covers faults): lock order, takeover, state to joiners. */
class ToolkitTest {
    private static final int TICKS_MAX = 3000;
    private static final long G = 5;

    private final GroupTestCluster c = new GroupTestCluster(4, 4);
    private final Toolkit[] tools = new Toolkit[4];
    private final List<List<ToolEffect>> seen = new ArrayList<>();
    private final int[] fed = new int[4];

    ToolkitTest() {
        for (int i = 0; i < 4; i++) {
            tools[i] = new Toolkit(c.layer(i), g -> true, Set.of());
            seen.add(new ArrayList<>());
        }
    }

    /** Feeds each toolkit what its layer produced since the last call (the cluster records every effect). */
    private void feed() {
        for (int i = 0; i < 4; i++) {
            if (c.layer(i) == null) {
                continue;
            }
            List<GroupEffect> all = c.seen(i);
            while (fed[i] < all.size()) {
                tools[i].onEffect(all.get(fed[i]++));
                seen.get(i).addAll(tools[i].drainEffects());
            }
        }
    }

    private void stepUntil(String what, java.util.function.BooleanSupplier done) {
        for (int i = 0; i < TICKS_MAX && !done.getAsBoolean(); i++) {
            c.step();
            feed();
            for (int n = 0; n < 4; n++) {
                if (c.layer(n) != null) {
                    c.on(n, l -> { }); // collect what the toolkit asked of the layer
                }
            }
            feed();
        }
        assertThat(done.getAsBoolean()).as(what).isTrue();
    }

    private List<Integer> grantsOrder() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            for (ToolEffect e : seen.get(i)) {
                if (e instanceof ToolEffect.Granted) {
                    out.add(i);
                }
            }
        }
        return out;
    }

    private void joinAll(int... nodes) {
        for (int n : nodes) {
            c.on(n, l -> l.join(G));
        }
        stepUntil("joined", () -> {
            for (int n : nodes) {
                if (!tools[n].isSynced(G)) {
                    return false;
                }
            }
            return c.quiescent();
        });
    }

    @Test
    void aLockHeldByACrashedMemberGoesToTheNextRequesterInRequestOrder() {
        joinAll(0, 1, 2);
        c.on(2, l -> tools[2].acquire(G, 1));
        stepUntil("2 holds", () -> tools[2].holds(G, 1));
        c.on(0, l -> tools[0].acquire(G, 1));
        stepUntil("0 queued", c::quiescent);
        c.on(1, l -> tools[1].acquire(G, 1));
        stepUntil("1 queued", c::quiescent);
        assertThat(tools[0].holds(G, 1) || tools[1].holds(G, 1)).isFalse();
        c.crash(2);
        stepUntil("0 holds after 2 crashed", () -> tools[0].holds(G, 1));
        assertThat(tools[1].holds(G, 1)).isFalse();
        c.on(0, l -> tools[0].release(G, 1));
        stepUntil("1 holds after 0 released", () -> tools[1].holds(G, 1));
    }

    @Test
    void aJoinerGetsTheMapConfigurationAndLockQueue() {
        joinAll(0, 1);
        c.on(0, l -> tools[0].put(G, "a", "1".getBytes(StandardCharsets.UTF_8)));
        c.on(1, l -> tools[1].setConfig(G, "cfg1".getBytes(StandardCharsets.UTF_8)));
        c.on(1, l -> tools[1].acquire(G, 9));
        stepUntil("1 holds", () -> tools[1].holds(G, 9) && c.quiescent());
        joinAll(3);
        assertThat(tools[3].map(G)).containsOnlyKeys("a");
        assertThat(tools[3].configVersion(G)).isEqualTo(1);
        assertThat(tools[3].stateHash(G)).isEqualTo(tools[0].stateHash(G));
        c.on(3, l -> tools[3].acquire(G, 9));
        stepUntil("quiet", c::quiescent);
        assertThat(tools[3].holds(G, 9)).as("1 still holds it").isFalse();
        c.on(1, l -> tools[1].release(G, 9));
        stepUntil("3 holds", () -> tools[3].holds(G, 9));
    }

    @Test
    void whenTheCoordinatorCrashesBeforeAnsweringTheNextMemberAnswersAndTheCallerGetsOneReply() {
        joinAll(0, 1, 2);
        CallId[] id = new CallId[1];
        c.on(3, l -> id[0] = tools[3].request(G, "work".getBytes(StandardCharsets.UTF_8)));
        stepUntil("coordinator told to act", () -> seen.get(0).stream().anyMatch(e -> e instanceof ToolEffect.Act));
        c.crash(0); // before answering
        stepUntil("next acts", () -> seen.get(1).stream().anyMatch(e -> e instanceof ToolEffect.Act));
        assertThat(seen.get(2)).noneMatch(e -> e instanceof ToolEffect.Act);
        c.on(1, l -> tools[1].answer(id[0], "done".getBytes(StandardCharsets.UTF_8)));
        stepUntil("result", () -> c.seen(3).stream().anyMatch(e -> e instanceof GroupEffect.RpcResult));
        stepUntil("quiet", c::quiescent);
        GroupEffect.RpcResult r = (GroupEffect.RpcResult) c.seen(3).stream()
                .filter(e -> e instanceof GroupEffect.RpcResult).findFirst().orElseThrow();
        assertThat(r.ok()).isTrue();
        assertThat(r.replies()).extracting(GroupEffect.Reply::from).containsExactly(c.layer(1).self());
        assertThat(tools[1].watching() + tools[2].watching()).as("cohorts saw the reply").isZero();
    }
}
