package io.backplane.group.contract;

import io.backplane.group.protocol.Kind;
import io.backplane.group.protocol.View;
import io.backplane.group.sim.PropertyChecker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One suite, run over the seeded simulated network and over TCP on loopback: the group behaves the same
 * whatever carries its packets. Every scenario ends by running the simulator's property checker on the
 * recorded effects.
 */
abstract class GroupContractTest {
    private GroupHarness h;

    /** A cluster of {@code nodes} slots, the first {@code founders} of which form view 1. */
    protected abstract GroupHarness harness(int nodes, int founders);

    private GroupHarness start(int nodes, int founders) {
        h = harness(nodes, founders);
        return h;
    }

    @AfterEach
    void checkPropertiesAndClose() {
        if (h != null) {
            List<?> violations;
            synchronized (h.trace()) {
                violations = PropertyChecker.checkSafety(h.trace());
            }
            h.close();
            assertThat(violations).isEmpty();
        }
    }

    private static boolean sameView(GroupHarness h, int... nodes) {
        View v = h.view(nodes[0]);
        for (int n : nodes) {
            if (h.view(n) == null || !h.view(n).equals(v)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void abcastsFromEveryMemberAreDeliveredInOneOrder() {
        GroupHarness h = start(3, 3);
        for (int i = 0; i < 30; i++) {
            for (int n = 0; n < 3; n++) {
                h.multicast(n, Kind.ABCAST, n + "." + i);
            }
        }
        h.awaitUntil("all delivered", () -> h.deliveries(0).size() == 90 && h.deliveries(1).size() == 90
                && h.deliveries(2).size() == 90);
        assertThat(h.deliveries(1)).isEqualTo(h.deliveries(0));
        assertThat(h.deliveries(2)).isEqualTo(h.deliveries(0));
    }

    @Test
    void aReplyIsNeverDeliveredBeforeTheMessageItAnswers() {
        GroupHarness h = start(3, 3);
        h.multicast(0, Kind.CBCAST, "question");
        h.awaitUntil("1 has the question", () -> h.deliveries(1).contains("question"));
        h.multicast(1, Kind.CBCAST, "answer");
        h.awaitUntil("all have both", () -> h.deliveries(2).size() == 2 && h.deliveries(0).size() == 2);
        for (int n = 0; n < 3; n++) {
            assertThat(h.deliveries(n)).containsExactly("question", "answer");
        }
    }

    @Test
    void aCrashedMemberIsExcludedAndTheGroupKeepsDelivering() {
        GroupHarness h = start(3, 3);
        h.awaitUntil("view 1 everywhere", () -> sameView(h, 0, 1, 2));
        h.crash(2);
        h.awaitUntil("survivors install a two-member view", () -> h.view(0).size() == 2 && sameView(h, 0, 1));
        h.multicast(1, Kind.ABCAST, "after");
        h.awaitUntil("delivered by both", () -> h.deliveries(0).contains("after") && h.deliveries(1).contains("after"));
    }

    @Test
    void aJoinerSeesEveryMessageSentAfterItsViewAndNoneBefore() {
        GroupHarness h = start(3, 2);
        h.multicast(0, Kind.CBCAST, "before");
        h.awaitUntil("founders delivered", () -> h.deliveries(1).contains("before"));
        h.join(2);
        h.awaitUntil("joiner in the view", () -> h.view(2) != null && sameView(h, 0, 1, 2));
        h.multicast(1, Kind.ABCAST, "after");
        h.awaitUntil("joiner delivered", () -> h.deliveries(2).contains("after"));
        assertThat(h.deliveries(2)).containsExactly("after");
    }
}
