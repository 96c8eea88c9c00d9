package io.backplane.systest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Issue 7: the named crash points of the WAN path (io.backplane.wan.CrashPoints), one after the other,
 * under a steady stream of posts to {@code /W/T@NEWYORK}: a one-node GENEVA and a one-node NEWYORK
 * through the fault proxy. Each node is restarted with {@code BACKPLANE_CRASH_POINT} armed, halts
 * there (as SIGKILL would), and is restarted clean. The WAN checker then requires every 202'd post on
 * NEWYORK exactly once, in origin order, and the spool drained.
 */
class WanCrashPointsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Crash(String point, boolean atOrigin, int hit) { }

    @Test
    void everySpooledPostArrivesExactlyOnceThroughEachNamedCrashPoint() throws Exception {
        Settings settings = Settings.fromSystemProperties("wan-crash-points");
        SystemTestRun.deleteRecursively(settings.runDir());
        Files.createDirectories(settings.runDir());
        List<Crash> crashes = List.of(
                new Crash("wan.spool.before-append", true, 25),
                new Crash("wan.spool.before-answer", true, 25),
                new Crash("wan.before-send", true, 15),
                new Crash("wan.after-apply-before-ack", false, 15),
                new Crash("wan.before-trim", true, 10));
        List<String> timeline = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try (WanLans lans = WanLans.layout(1, 1, settings.runDir(), settings.jar())) {
            lans.start();
            List<WanChecker.Acked> acked = Collections.synchronizedList(new ArrayList<>());
            Set<String> attempted = ConcurrentHashMap.newKeySet();
            List<String> unresolved = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            Thread publisher = new Thread(() -> WanExactlyOnceIT.publish(lans, acked, attempted, unresolved, stop), "wan-publisher");
            publisher.start();
            Thread.sleep(2000);
            for (Crash c : crashes) {
                NodeProcess node = c.atOrigin() ? lans.origin().get(0) : lans.dest().get(0);
                assertThat(node.terminate()).isZero();
                node.envForNextStart(Map.of("BACKPLANE_CRASH_POINT", c.point() + "@" + c.hit()));
                node.restart();
                boolean crashed = node.awaitExit(Duration.ofSeconds(60));
                timeline.add(String.format("%6.1fs %s at %s: %s", (System.nanoTime() - t0) / 1e9, c.point(), node.id(),
                        crashed ? "halted" : "NOT reached within 60 s"));
                assertThat(crashed).as(c.point() + " reached").isTrue();
                node.restart();
                Thread.sleep(1500);
            }
            stop.set(true);
            publisher.join(90_000);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean drained = false;
            while (!drained && System.nanoTime() < deadline) {
                String links = lans.links(lans.origin().get(0));
                drained = links != null && JSON.readTree(links).path("links").get(0).path("spooled").asLong() == 0;
                Thread.sleep(300);
            }
            Map<String, List<Checker.HistoryEntry>> histories = new LinkedHashMap<>();
            histories.put(lans.dest().get(0).id(), lans.api().history(lans.dest().get(0), "/W/T"));
            List<String> violations = new ArrayList<>(WanChecker.check(acked, attempted, histories));
            if (!drained) {
                violations.add("the spool did not drain within 60 s");
            }
            JsonNode link = JSON.readTree(lans.links(lans.origin().get(0))).path("links").get(0);
            String report = "WAN crash points: " + acked.size() + " acknowledged, " + unresolved.size() + " unresolved, "
                    + histories.values().iterator().next().size() + " on NEWYORK, spool " + link + "\n"
                    + String.join("\n", timeline) + "\nviolations:\n" + String.join("\n", violations) + "\n";
            Files.writeString(settings.runDir().resolveSibling(settings.name() + ".txt"), report);
            System.out.println(report);
            assertThat(violations).isEmpty();
            assertThat(acked.size()).isGreaterThan(100);
        }
    }
}
