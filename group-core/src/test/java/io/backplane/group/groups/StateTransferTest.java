package io.backplane.group.groups;

import io.backplane.group.protocol.Kind;
import io.backplane.group.sim.SimScenario;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * State transfer in the group layer, deterministically (the simulator checks the same properties on every
 * seed): a donor failing mid-transfer, two joiners that are each the only holder of the other's group (the
 * mutual wait of the unmerged prototype), and every holder failing mid-transfer (the loss, seen by all at one
 * group view).
 */
class StateTransferTest {
    private static final int TICKS_MAX = 3000;

    /**
     * A tiny application per node: per group, the payloads delivered (a log, so it writes its state as of any
     * earlier cut), answering WriteState at once unless told to stay silent, applying chunks.
     */
    private static final class Apps {
        final GroupTestCluster c;
        final int[] seenUpTo;
        final Map<String, List<String>> logs = new HashMap<>();
        final Map<String, ByteArrayOutputStream> incoming = new HashMap<>();
        final Map<String, List<GroupEffect.StateTransferred>> ends = new HashMap<>();
        final Map<Integer, Integer> chunksApplied = new HashMap<>();
        final Set<Integer> silent = new java.util.HashSet<>();

        Apps(GroupTestCluster c, int nodes) {
            this.c = c;
            this.seenUpTo = new int[nodes];
        }

        private static String key(int node, long group) {
            return node + "/" + group;
        }

        /** Handles the effects each live node produced since last time. */
        void run() {
            for (int n = 0; n < seenUpTo.length; n++) {
                if (c.layer(n) == null) {
                    continue;
                }
                List<GroupEffect> seen = c.seen(n);
                while (seenUpTo[n] < seen.size()) {
                    handle(n, seen.get(seenUpTo[n]++));
                }
            }
        }

        private void handle(int n, GroupEffect e) {
            if (e instanceof GroupEffect.Deliver d) {
                List<String> log = logs.get(key(n, d.groupId()));
                if (log != null) {
                    log.add(d.seq() + ":" + new String(d.payload(), StandardCharsets.UTF_8));
                }
            } else if (e instanceof GroupEffect.ApplyStateChunk a) {
                incoming.computeIfAbsent(key(n, a.groupId()), k -> new ByteArrayOutputStream()).writeBytes(a.bytes());
                chunksApplied.merge(n, 1, Integer::sum);
            } else if (e instanceof GroupEffect.StateTransferred t) {
                ends.computeIfAbsent(key(n, t.groupId()), k -> new ArrayList<>()).add(t);
                ByteArrayOutputStream in = incoming.remove(key(n, t.groupId()));
                List<String> log = new ArrayList<>();
                if (t.outcome() == GroupEffect.Outcome.COMPLETE && in != null && in.size() > 0) {
                    log.addAll(Arrays.asList(in.toString(StandardCharsets.UTF_8).split("\n")));
                }
                logs.put(key(n, t.groupId()), log);
            } else if (e instanceof GroupEffect.WriteState w && !silent.contains(n)) {
                StringBuilder b = new StringBuilder();
                for (String entry : logs.get(key(n, w.groupId()))) {
                    if (Long.parseLong(entry.substring(0, entry.indexOf(':'))) <= w.cutSeq()) {
                        b.append(entry).append('\n');
                    }
                }
                byte[] all = b.toString().getBytes(StandardCharsets.UTF_8);
                int from = (int) Math.min(w.offset(), all.length);
                byte[] chunk = Arrays.copyOfRange(all, from, (int) Math.min(all.length, (long) from + w.maxBytes()));
                c.on(n, l -> l.stateChunk(w, chunk));
            }
        }

        List<String> log(int node, long group) {
            return logs.get(key(node, group));
        }

        void stepUntil(String what, java.util.function.BooleanSupplier done) {
            c.stepUntil(what, TICKS_MAX, () -> {
                run();
                return done.getAsBoolean();
            });
        }
    }

    private static GroupTestCluster cluster(int nodes, int chunkBytes) {
        return new GroupTestCluster(nodes, nodes, SimScenario.simEngineConfig(),
                GroupLayerConfig.defaults().withStateChunkBytesMax(chunkBytes));
    }

    private static void send(GroupTestCluster c, int node, long group, String... payloads) {
        for (String p : payloads) {
            c.on(node, l -> l.multicast(group, Kind.ABCAST, p.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void aTransferContinuesFromTheLastChunkWithTheNextDonorWhenTheDonorFails() {
        GroupTestCluster c = cluster(4, 8);
        Apps apps = new Apps(c, 4);
        long g = 7;
        c.on(0, l -> l.joinWithState(g));
        apps.stepUntil("0 founds g7", () -> c.layer(0).holdsState(g) && apps.log(0, g) != null);
        c.on(1, l -> l.joinWithState(g));
        apps.stepUntil("1 joins g7", () -> c.layer(1).holdsState(g) && c.quiescent());
        send(c, 0, g, "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7");
        apps.stepUntil("all delivered", () -> apps.log(1, g).size() == 8 && c.quiescent());

        c.on(2, l -> l.joinWithState(g));
        apps.stepUntil("2 has its first chunk", () -> apps.chunksApplied.getOrDefault(2, 0) >= 1);
        send(c, 1, g, "after-join"); // after 2's join point: held at 2, then delivered once, after the state
        c.crash(0); // the donor (oldest holder) fails mid-transfer
        apps.stepUntil("2 holds the state", () -> c.layer(2).holdsState(g) && c.quiescent());

        assertThat(c.layer(2).donorSwitches()).isEqualTo(1);
        assertThat(apps.chunksApplied.get(2)).isGreaterThan(2);
        assertThat(apps.ends.get("2/" + g)).extracting(GroupEffect.StateTransferred::outcome)
                .containsExactly(GroupEffect.Outcome.COMPLETE);
        long cut = apps.ends.get("2/" + g).get(0).cutSeq();
        assertThat(cut).isEqualTo(8);
        // The state as of the cut, then every later message exactly once.
        List<String> expected = new ArrayList<>(apps.log(1, g));
        assertThat(apps.log(2, g)).isEqualTo(expected);
        assertThat(c.delivered(2, g)).containsExactly("after-join");
        // Nothing of the group reached 2's application before the end of its transfer.
        List<GroupEffect> seen = c.seen(2);
        int end = -1;
        int firstDelivery = -1;
        for (int i = 0; i < seen.size(); i++) {
            if (seen.get(i) instanceof GroupEffect.StateTransferred && end < 0) {
                end = i;
            } else if (seen.get(i) instanceof GroupEffect.Deliver && firstDelivery < 0) {
                firstDelivery = i;
            }
        }
        assertThat(firstDelivery).isGreaterThan(end);
    }

    @Test
    void twoJoinersThatAreEachTheOnlyHolderOfTheOthersGroupBothComplete() {
        GroupTestCluster c = cluster(3, 5);
        Apps apps = new Apps(c, 3);
        c.on(0, l -> l.joinWithState(1));
        c.on(1, l -> l.joinWithState(2));
        apps.stepUntil("founded", () -> c.layer(0).holdsState(1) && c.layer(1).holdsState(2) && c.quiescent());
        send(c, 0, 1, "a", "b", "c", "d");
        send(c, 1, 2, "w", "x", "y", "z");
        apps.stepUntil("delivered", () -> apps.log(0, 1).size() == 4 && apps.log(1, 2).size() == 4 && c.quiescent());

        // Each joins the other's group at once, while traffic goes on in both: each transfer's donor is the
        // other joiner, whose own effects are held back.
        c.on(0, l -> l.joinWithState(2));
        c.on(1, l -> l.joinWithState(1));
        send(c, 0, 1, "e");
        send(c, 1, 2, "v");
        apps.stepUntil("both transfers done", () -> c.layer(0).holdsState(2) && c.layer(1).holdsState(1) && c.quiescent());

        assertThat(apps.log(0, 2)).isEqualTo(apps.log(1, 2));
        assertThat(apps.log(1, 1)).isEqualTo(apps.log(0, 1));
        assertThat(apps.log(0, 2)).hasSize(5);
        assertThat(apps.log(1, 1)).hasSize(5);
    }

    @Test
    void whenEveryHolderFailsMidTransferEveryMemberIsToldTheStateIsLostAtTheSameGroupView() {
        GroupTestCluster c = cluster(4, 4);
        Apps apps = new Apps(c, 4);
        long g = 3;
        c.on(0, l -> l.joinWithState(g));
        apps.stepUntil("founded", () -> c.layer(0).holdsState(g) && c.quiescent());
        send(c, 0, g, "only", "at", "the", "founder");
        apps.stepUntil("delivered", () -> apps.log(0, g).size() == 4 && c.quiescent());
        apps.silent.add(0); // the only holder never answers, then fails
        c.on(1, l -> l.joinWithState(g));
        c.on(2, l -> l.joinWithState(g));
        apps.stepUntil("both joined", () -> c.layer(1).isMember(g) && c.layer(2).isMember(g));
        c.crash(0);
        apps.stepUntil("lost", () -> apps.ends.containsKey("1/" + g) && apps.ends.containsKey("2/" + g) && c.quiescent());

        GroupEffect.StateTransferred at1 = apps.ends.get("1/" + g).get(0);
        GroupEffect.StateTransferred at2 = apps.ends.get("2/" + g).get(0);
        assertThat(at1.outcome()).isEqualTo(GroupEffect.Outcome.LOST);
        assertThat(at2.outcome()).isEqualTo(GroupEffect.Outcome.LOST);
        // Both are told right after the same group view (the first without the last holder).
        assertThat(viewBefore(c.seen(1), at1)).isEqualTo(viewBefore(c.seen(2), at2));
        assertThat(c.layer(1).holdsState(g)).isTrue();
        assertThat(c.layer(2).holdsState(g)).isTrue();
        // From there the group goes on with the empty state, the same at both.
        send(c, 1, g, "fresh");
        apps.stepUntil("delivered after the loss", () -> apps.log(2, g).size() == 1 && apps.log(1, g).size() == 1);
        assertThat(apps.log(1, g)).isEqualTo(apps.log(2, g));
    }

    private static GroupView viewBefore(List<GroupEffect> seen, GroupEffect.StateTransferred t) {
        GroupView last = null;
        for (GroupEffect e : seen) {
            if (e == t) {
                return last;
            }
            if (e instanceof GroupEffect.ViewChange v && v.view().groupId() == t.groupId()) {
                last = v.view();
            }
        }
        throw new AssertionError("not seen: " + t);
    }
}
