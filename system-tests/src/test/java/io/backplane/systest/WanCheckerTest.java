package io.backplane.systest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The WAN checker catches each kind of fault once, and passes a correct run. */
class WanCheckerTest {
    private static final List<WanChecker.Acked> ACKED = List.of(new WanChecker.Acked("k1", "G:1"),
            new WanChecker.Acked("k2", "G:2"), new WanChecker.Acked("k3", "G:3"));
    private static final Set<String> ATTEMPTED = Set.of("k1", "k2", "k3", "k4");

    private static Checker.HistoryEntry e(long seq, String id, String key) {
        return new Checker.HistoryEntry(seq, id, key);
    }

    @Test
    void aCorrectRunPasses() {
        List<Checker.HistoryEntry> h = List.of(e(1, "G:1", "k1"), e(2, "G:2", "k2"), e(3, "G:4", "k4"), e(4, "G:3", "k3"));
        assertThat(WanChecker.check(ACKED, ATTEMPTED, Map.of("y1", h, "y2", h))).isEmpty();
    }

    @Test
    void eachFaultIsReported() {
        assertThat(WanChecker.check(ACKED, ATTEMPTED, Map.of("y1", List.of(e(1, "G:1", "k1"), e(2, "G:3", "k3")))))
                .singleElement().asString().contains("k2").contains("missing");
        assertThat(WanChecker.check(ACKED, ATTEMPTED, Map.of("y1", List.of(e(1, "G:1", "k1"), e(2, "G:2", "k2"),
                e(3, "G:2", "k2"), e(4, "G:3", "k3"))))).anyMatch(v -> v.contains("twice"));
        assertThat(WanChecker.check(ACKED, ATTEMPTED, Map.of("y1", List.of(e(1, "G:2", "k2"), e(2, "G:1", "k1"),
                e(3, "G:3", "k3"))))).anyMatch(v -> v.contains("origin order"));
        assertThat(WanChecker.check(ACKED, ATTEMPTED, Map.of("y1", List.of(e(1, "G:1", "k1"), e(2, "G:2", "k2"),
                e(3, "G:9", "zz"), e(4, "G:3", "k3"))))).anyMatch(v -> v.contains("never posted"));
        assertThat(WanChecker.check(ACKED, ATTEMPTED, Map.of("y1", List.of(e(1, "G:1", "k1"), e(2, "G:2", "k2"), e(3, "G:3", "k3")),
                "y2", List.of(e(1, "G:1", "k1"), e(2, "G:2", "k2"), e(3, "G:3", "k3"), e(4, "G:4", "k4")))))
                .anyMatch(v -> v.contains("different histories"));
    }
}
