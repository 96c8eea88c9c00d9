package io.backplane.systest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
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
 * Issue 7: posts to {@code /W/T@NEWYORK} made at LAN GENEVA (3 nodes) cross a WAN link (through the
 * fault proxy) to LAN NEWYORK (1 node in CI; {@code -Dsystest.wan.dest=3} for 3) while the link is cut,
 * the active spooler is killed with SIGKILL, paused with SIGSTOP past failure detection and resumed
 * (a zombie with a stale epoch), and the receiving LAN is killed and restarted. The cut lasts
 * {@code -Dsystest.wan.cut} seconds (10 by default). The checker: every
 * post answered 202 is on every NEWYORK replica exactly once, in origin order, with its id; nothing
 * else is; the replicas agree; the spool drains and is trimmed only as far as NEWYORK acknowledged.
 * And the other way: a GENEVA subscriber of {@code /W/T@NEWYORK} (a remote subscription, which
 * GENEVA's mirror serves) sees NEWYORK's history with no gap or duplicate, and every GENEVA replica of
 * the mirror equals NEWYORK's history.
 */
class WanExactlyOnceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "/W/T";
    private static final String MIRRORED = TOPIC + "@" + WanLans.DEST;

    @Test
    void everySpooledPostArrivesExactlyOnceInOrderThroughCutsKillsAndAZombieSpooler() throws Exception {
        Settings settings = Settings.fromSystemProperties("wan-exactly-once");
        int destSize = Integer.getInteger("systest.wan.dest", 1);
        SystemTestRun.deleteRecursively(settings.runDir()); // a previous run's data must not count
        Files.createDirectories(settings.runDir());
        List<String> timeline = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        java.util.function.Consumer<String> note = s -> timeline.add(String.format("%6.1fs %s", (System.nanoTime() - t0) / 1e9, s));
        try (WanLans lans = WanLans.layout(3, destSize, settings.runDir(), settings.jar())) {
            lans.start();
            note.accept("both LANs ready");
            List<WanChecker.Acked> acked = Collections.synchronizedList(new ArrayList<>());
            Set<String> attempted = ConcurrentHashMap.newKeySet();
            List<String> unresolved = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            Thread publisher = new Thread(() -> publish(lans, acked, attempted, unresolved, stop), "wan-publisher");
            publisher.start();
            // A remote subscriber in GENEVA to what NEWYORK makes of the posts: its mirror link is the
            // active spooler's connection, so it lives through every fault below as well.
            Trace mirrorTrace = new Trace();
            Subscriber remote = new Subscriber("remote-sub", List.of(MIRRORED), lans.origin(), 1, mirrorTrace);
            remote.start();

            Thread.sleep(3000);
            int rounds = settings.longRun() ? 3 : 1;
            for (int round = 0; round < rounds; round++) {
                note.accept("cut the link");
                lans.cut(true);
                // 10 s in CI; -Dsystest.wan.cut=150 outlasts any time-windowed dedup (NATS's is 2 minutes)
                Thread.sleep(Integer.getInteger("systest.wan.cut", 10) * 1000L);
                lans.cut(false);
                note.accept("healed the link");
                Thread.sleep(2000);

                NodeProcess spooler = lans.originCoordinator().orElseThrow();
                note.accept("kill -9 the active spooler " + spooler.id());
                spooler.kill9();
                Thread.sleep(3000);
                spooler.restart();
                note.accept("restarted " + spooler.id());
                Thread.sleep(2000);

                NodeProcess zombie = lans.originCoordinator().orElseThrow();
                long zombieEpoch = JSON.readTree(lans.links(zombie)).path("links").get(0).path("epoch").asLong();
                note.accept("SIGSTOP the active spooler " + zombie.id() + " (epoch " + zombieEpoch + ")");
                zombie.sigstop();
                Thread.sleep(8000); // past failure detection: another node takes over with a newer epoch
                zombie.sigcont();
                note.accept("SIGCONT " + zombie.id());
                Thread.sleep(3000);
                NodeProcess receiver = lans.dest().get(round % lans.dest().size());
                assertThat(newestAppliedEpoch(lans)).as("a newer sender epoch took over from the paused one")
                        .isGreaterThan(zombieEpoch);

                note.accept("kill -9 receiving node " + receiver.id());
                receiver.kill9();
                Thread.sleep(2000);
                receiver.restart();
                note.accept("restarted " + receiver.id());
                Thread.sleep(2000);
            }
            stop.set(true);
            publisher.join(90_000);
            note.accept("publisher stopped: " + acked.size() + " acknowledged, " + unresolved.size() + " unresolved");

            // Drain: the origin's spool empties (acknowledged and trimmed) on every node.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean drained = false;
            while (!drained && System.nanoTime() < deadline) {
                drained = true;
                for (NodeProcess n : lans.origin()) {
                    String links = lans.links(n);
                    JsonNode l = links == null ? null : JSON.readTree(links).path("links").get(0);
                    if (l == null || l.path("spooled").asLong() != 0) {
                        drained = false;
                    }
                }
                Thread.sleep(500);
            }
            note.accept("spools drained: " + drained);
            Map<String, List<Checker.HistoryEntry>> histories = new LinkedHashMap<>();
            for (NodeProcess n : lans.dest()) {
                histories.put(n.id(), lans.api().history(n, TOPIC));
            }
            List<String> violations = new ArrayList<>(WanChecker.check(acked, attempted, histories));
            violations.addAll(checkMirror(lans, remote, mirrorTrace, histories, note));
            if (!drained) {
                violations.add("the origin's spools did not drain within 60 s");
            }
            for (NodeProcess n : lans.origin()) {
                JsonNode l = JSON.readTree(lans.links(n)).path("links").get(0);
                long lastAcked = l.path("lastAcked").asLong();
                if (lastAcked > acked.size() + unresolved.size() + 1_000) {
                    violations.add(n.id() + " trimmed through spool seq " + lastAcked + ", beyond anything posted");
                }
            }
            String report = "WAN run " + settings.name() + ": " + acked.size() + " acknowledged, " + unresolved.size()
                    + " unresolved, dest histories " + histories.values().stream().map(List::size).toList() + "\n"
                    + String.join("\n", timeline) + "\nviolations:\n" + String.join("\n", violations) + "\n";
            Files.writeString(settings.runDir().resolveSibling(settings.name() + ".txt"), report);
            System.out.println(report);
            assertThat(acked.size()).as("the run acknowledged posts").isGreaterThan(100);
            assertThat(violations).isEmpty();
            for (NodeProcess n : lans.origin()) {
                assertThat(n.terminate()).isZero();
            }
            for (NodeProcess n : lans.dest()) {
                assertThat(n.terminate()).isZero();
            }
        }
    }

    /**
     * Remote subscription: every GENEVA node's mirror of {@code /W/T@NEWYORK} becomes NEWYORK's history
     * entry for entry, and the remote subscriber's stream has no gap, duplicate or regression and gets
     * all of it (the cluster checker's subscriber and replica properties, mirrors and sources alike).
     */
    private static List<String> checkMirror(WanLans lans, Subscriber remote, Trace trace,
                                            Map<String, List<Checker.HistoryEntry>> destHistories,
                                            java.util.function.Consumer<String> note) throws Exception {
        int expected = destHistories.values().stream().mapToInt(List::size).max().orElse(0);
        Map<String, Map<String, List<Checker.HistoryEntry>>> histories = new LinkedHashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        boolean caughtUp = false;
        while (!caughtUp && System.nanoTime() < deadline) {
            caughtUp = remote.lastSeq(MIRRORED) >= expected;
            for (NodeProcess n : lans.origin()) {
                List<Checker.HistoryEntry> h = lans.api().history(n, MIRRORED);
                histories.put(n.id(), Map.of(MIRRORED, h));
                caughtUp &= h.size() >= expected;
            }
            if (!caughtUp) {
                Thread.sleep(500);
            }
        }
        remote.close();
        destHistories.forEach((node, h) -> histories.put(node, Map.of(MIRRORED, h)));
        Map<String, Long> stats = new LinkedHashMap<>();
        List<String> out = new ArrayList<>();
        for (Checker.Violation v : Checker.check(new Checker.Input(trace.snapshot(), histories, List.of(MIRRORED),
                List.of(remote.name())), stats)) {
            out.add("mirror: " + v);
        }
        note.accept("mirror of " + MIRRORED + ": " + (caughtUp ? "caught up" : "NOT caught up") + " with " + expected
                + " messages; remote subscriber got " + remote.lastSeq(MIRRORED) + " after " + remote.reconnects() + " reconnects");
        if (expected < 100) {
            out.add("mirror: NEWYORK's history has only " + expected + " messages, too few to judge the mirror");
        }
        return out;
    }

    private static long newestAppliedEpoch(WanLans lans) throws Exception {
        long newest = 0;
        for (NodeProcess n : lans.dest()) {
            String links = n.isRunning() ? lans.links(n) : null;
            if (links != null) {
                newest = Math.max(newest, JSON.readTree(links).path("applied").path(WanLans.ORIGIN).path("epoch").asLong());
            }
        }
        return newest;
    }

    /**
     * One sequential publisher: each post has its own key and is retried with it on the next origin
     * node until it is answered 2xx (or 60 s pass), so acknowledgement order is origin order.
     */
    static void publish(WanLans lans, List<WanChecker.Acked> acked, Set<String> attempted, List<String> unresolved,
                                AtomicBoolean stop) {
        int i = 0;
        while (!stop.get()) {
            String key = "w-" + i;
            attempted.add(key);
            long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int attempt = 0;
            String id = null;
            while (id == null && System.nanoTime() < giveUp) {
                NodeProcess node = lans.origin().get((i + attempt++) % lans.origin().size());
                try {
                    HttpResponse<String> r = lans.post(node, TOPIC + "@" + WanLans.DEST, key, "{\"key\":\"" + key + "\",\"i\":" + i + "}");
                    if (r.statusCode() == 202 || r.statusCode() == 200) {
                        id = JSON.readTree(r.body()).path("id").asText();
                    } else {
                        Thread.sleep(100);
                    }
                } catch (IOException e) {
                    sleepQuietly(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (id != null) {
                acked.add(new WanChecker.Acked(key, id));
            } else {
                unresolved.add(key);
            }
            i++;
            sleepQuietly(40);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
