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
 *
 * <p>{@code -Dsystest.wan.crash.size=3} runs it between two 3-node LANs (opt-in: about 5 minutes). There
 * the point is armed on every node of its side (a rolling restart), since which node takes a post, holds
 * the link or serves it is the LANs' choice; every node that reaches it halts — all of them, for the
 * points every node passes, so the LAN also restarts from its data directories — and each is restarted
 * clean (the armed ones that did not halt, too).
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
        int size = Integer.getInteger("systest.wan.crash.size", 1);
        try (WanLans lans = WanLans.layout(size, size, settings.runDir(), settings.jar())) {
            lans.start();
            List<WanChecker.Acked> acked = Collections.synchronizedList(new ArrayList<>());
            Set<String> attempted = ConcurrentHashMap.newKeySet();
            List<String> unresolved = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            Thread publisher = new Thread(() -> WanExactlyOnceIT.publish(lans, acked, attempted, unresolved, stop), "wan-publisher");
            publisher.start();
            Thread.sleep(2000);
            for (Crash c : crashes) {
                List<NodeProcess> side = c.atOrigin() ? lans.origin() : lans.dest();
                // Armed on the whole side at once: restarted one by one, a LAN whose restarted nodes halt
                // meanwhile can fall below a majority of its last view and wait for them (primary partition).
                List<String> halted = new ArrayList<>();
                for (NodeProcess node : side) {
                    assertThat(node.terminate()).isZero();
                }
                for (NodeProcess node : side) {
                    node.envForNextStart(Map.of("BACKPLANE_CRASH_POINT", c.point() + "@" + c.hit()));
                    node.launch();
                }
                List<IllegalStateException> notReady = new ArrayList<>();
                for (NodeProcess node : side) {
                    try {
                        node.awaitReady();
                    } catch (IllegalStateException e) {
                        if (node.awaitExit(Duration.ofSeconds(5))) {
                            halted.add(node.id() + " (while starting)"); // it reached the point before it was ready
                        } else {
                            notReady.add(e);
                        }
                    }
                }
                for (NodeProcess node : side) {
                    if (node.isRunning() && node.awaitExit(Duration.ofMillis(10))) {
                        halted.add(node.id() + " (while starting)");
                    }
                }
                if (!notReady.isEmpty() && halted.isEmpty()) {
                    throw notReady.get(0); // not ready, and not because a halted node left its LAN a minority
                }
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (halted.isEmpty() && System.nanoTime() < until) {
                    for (NodeProcess node : side) {
                        if (node.isRunning() && node.awaitExit(Duration.ofMillis(200))) {
                            halted.add(node.id());
                        }
                    }
                }
                Thread.sleep(size > 1 ? 3000 : 0); // others of the side may reach it just after
                for (NodeProcess node : side) {
                    if (!node.isRunning()) {
                        continue;
                    }
                    if (node.awaitExit(Duration.ofMillis(10))) {
                        halted.add(node.id());
                    }
                }
                assertThat(halted).as(c.point() + " reached").isNotEmpty();
                for (NodeProcess node : side) {
                    if (node.isRunning()) {
                        int status = node.terminate(); // still armed: disarm it
                        if (status == 137) {
                            halted.add(node.id() + " (while being disarmed)"); // it reached the point meanwhile
                        } else {
                            assertThat(status).isZero();
                        }
                    }
                }
                timeline.add(String.format("%6.1fs %s: halted %s", (System.nanoTime() - t0) / 1e9, c.point(), halted));
                // All at once: a LAN whose every node halted is ready only once a majority is back.
                for (NodeProcess node : side) {
                    node.launch();
                }
                for (NodeProcess node : side) {
                    node.awaitReady();
                }
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
            for (NodeProcess n : lans.dest()) {
                histories.put(n.id(), lans.api().history(n, "/W/T"));
            }
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
