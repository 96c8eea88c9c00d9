package io.backplane.systest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One system-test run: start the cluster, start the workload (publishers retrying with idempotency keys,
 * one subscriber per node), run a fault schedule, heal, wait for one view, stop the publishers, let the
 * subscribers catch up, read every replica's history, SIGTERM every node, and check. Writes a summary to
 * {@code <systest.dir>/<name>.txt} and returns the violations; an IT asserts there are none.
 */
public final class SystemTestRun {
    /** A fault schedule: a few calls on {@link Faults} while the load runs. */
    @FunctionalInterface
    public interface Schedule {
        void run(Faults faults) throws Exception;
    }

    /** What a run found: the checker's violations and the path of its summary. */
    public record Result(List<Checker.Violation> violations, Path summary, String headline, Trace.Snapshot trace,
                         long scheduleStartNanos, long scheduleEndNanos) {
        /**
         * The longest time in the schedule's window (from its start to its end) with no post
         * acknowledged anywhere: how long publishers saw the LAN stand still.
         */
        public long longestAcknowledgementPauseNanos() {
            return longestPause(trace, scheduleStartNanos, scheduleEndNanos);
        }

        /** A message for an assertion: the headline, then every violation, one a line. */
        public String report() {
            StringBuilder text = new StringBuilder(headline).append("\nsummary: ").append(summary);
            violations.forEach(v -> text.append("\n  ").append(v));
            return text.toString();
        }

        /** Throws an AssertionError with {@link #report()} unless the checker found nothing. */
        public void assertNoViolations() {
            if (!violations.isEmpty()) {
                throw new AssertionError(report());
            }
        }
    }

    static final Duration WARMUP = Duration.ofSeconds(2);
    static final Duration LOAD_AFTER_HEAL = Duration.ofSeconds(2);
    static final Duration PUBLISHER_STOP_TIMEOUT = Publisher.KEY_DEADLINE.plusSeconds(5);
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** A post is answered within 10 s (the node's own timeout); the relay's last effects get that and a little. */
    static final Duration RELAY_STOP_TIMEOUT = Duration.ofSeconds(12);
    /** The drain ends early when no subscriber received anything for this long (a reconnect takes about 3 s). */
    static final Duration DRAIN_STALL = Duration.ofSeconds(10);

    private final Settings settings;
    private final Network network;

    private SystemTestRun(Settings settings, Network network) {
        this.settings = settings;
        this.network = network;
    }

    public static Result run(Settings settings, Schedule schedule) throws Exception {
        return run(settings, Network.loopback(), schedule);
    }

    public static Result run(Settings settings, Network network, Schedule schedule) throws Exception {
        return new SystemTestRun(settings, network).execute(schedule);
    }

    private Result execute(Schedule schedule) throws Exception {
        deleteRecursively(settings.runDir());
        Files.createDirectories(settings.runDir());
        long wallStart = System.nanoTime();
        Trace trace = new Trace();
        List<String> topics = new ArrayList<>();
        for (int t = 0; t < settings.topics(); t++) {
            topics.add("/SYSTEST/T" + t);
        }
        try (Cluster cluster = Cluster.layout(settings.nodes(), settings.runDir(), settings.jar(), network)) {
            Faults faults = new Faults(settings, cluster, network, trace);
            cluster.start();
            faults.started();
            faults.note("%s started %s", Trace.at(trace.nowNanos()), cluster.nodes());
            faults.awaitOneView();

            List<Subscriber> subscribers = new ArrayList<>();
            for (int i = 0; i < cluster.nodes().size(); i++) {
                // The first subscriber is also a causal client (CONTRACT.md §6.2): it posts to the second
                // topic after each live message of the first, and the checker holds every subscriber to that order.
                Subscriber.Relay relay = i == 0 && topics.size() > 1 ? new Subscriber.Relay(topics.get(0), topics.get(1)) : null;
                Subscriber s = new Subscriber("s-" + cluster.nodes().get(i).id(), topics, cluster.nodes(), i, trace, relay);
                subscribers.add(s);
                s.start();
            }
            List<Publisher> publishers = new ArrayList<>();
            List<Thread> publisherThreads = new ArrayList<>();
            for (int p = 0; p < settings.publishers(); p++) {
                Publisher publisher = new Publisher("p" + p, topics, cluster.nodes(), p, trace, settings.postsPerSecondPerPublisher());
                publishers.add(publisher);
                Thread thread = new Thread(publisher, settings.name() + "-" + publisher.name());
                thread.setDaemon(true);
                publisherThreads.add(thread);
                thread.start();
            }

            faults.load(WARMUP);
            long scheduleStart = trace.nowNanos();
            try {
                schedule.run(faults);
            } finally {
                faults.healEverything();
            }
            long scheduleEnd = trace.nowNanos();
            faults.awaitOneView();
            faults.load(LOAD_AFTER_HEAL);

            for (Subscriber s : subscribers) {
                s.stopRelaying(RELAY_STOP_TIMEOUT);
            }
            publishers.forEach(Publisher::stop);
            for (Thread thread : publisherThreads) {
                thread.join(PUBLISHER_STOP_TIMEOUT.toMillis());
                if (thread.isAlive()) {
                    trace.harnessFailure("publishers stop", thread.getName() + " still had a post unresolved after "
                            + PUBLISHER_STOP_TIMEOUT.toSeconds() + " s");
                }
            }
            drain(cluster, topics, subscribers, trace, faults);

            Map<String, Map<String, List<Checker.HistoryEntry>>> histories = readHistories(cluster, topics, trace);
            subscribers.forEach(Subscriber::close);
            cluster.terminateAll().forEach(unclean -> trace.harnessFailure("SIGTERM exits 0", unclean));

            Trace.Snapshot snapshot = trace.snapshot();
            Map<String, Long> checkStats = new LinkedHashMap<>();
            List<Checker.Violation> violations = Checker.check(new Checker.Input(snapshot, histories, topics,
                    subscribers.stream().map(Subscriber::name).toList()), checkStats);
            long wallMillis = (System.nanoTime() - wallStart) / 1_000_000;
            String headline = String.format("%s: %d nodes, seed %d, %d violations, %.1f s",
                    settings.name(), settings.nodes(), settings.seed(), violations.size(), wallMillis / 1e3);
            Path summary = writeSummary(headline, snapshot, histories, subscribers, publishers, faults, violations,
                    checkStats, scheduleStart, scheduleEnd - scheduleStart, wallMillis);
            return new Result(violations, summary, headline, snapshot, scheduleStart, scheduleEnd);
        } finally {
            network.heal(); // whoever created the network closes it
        }
    }

    /**
     * Every running node's history of every topic. A node whose history cannot be read (still 503 after
     * {@link NodeApi#HISTORY_UNAVAILABLE_TIMEOUT}) is a failure of its own, and the rest is checked without it.
     */
    private static Map<String, Map<String, List<Checker.HistoryEntry>>> readHistories(Cluster cluster, List<String> topics, Trace trace)
            throws InterruptedException {
        Map<String, Map<String, List<Checker.HistoryEntry>>> histories = new LinkedHashMap<>();
        for (NodeProcess node : cluster.running()) {
            Map<String, List<Checker.HistoryEntry>> byTopic = new LinkedHashMap<>();
            try {
                for (String topic : topics) {
                    byTopic.put(topic, cluster.api().history(node, topic));
                }
                histories.put(node.id(), byTopic);
            } catch (IOException e) {
                trace.harnessFailure("every surviving replica's history is readable after healing", e.getMessage());
            }
        }
        return histories;
    }

    /** Waits until every subscriber has every topic up to the longest history's end, or the drain stalls or times out. */
    private void drain(Cluster cluster, List<String> topics, List<Subscriber> subscribers, Trace trace, Faults faults)
            throws Exception {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        Map<String, Long> ends = new HashMap<>();
        topics.forEach(t -> ends.put(t, 0L));
        for (NodeProcess node : cluster.running()) {
            for (String topic : topics) {
                try {
                    List<Checker.HistoryEntry> h = cluster.api().history(node, topic);
                    ends.merge(topic, h.isEmpty() ? 0L : h.get(h.size() - 1).seq(), Math::max);
                } catch (IOException e) {
                    faults.note("%s drain: %s", Trace.at(trace.nowNanos()), e.getMessage());
                    break; // readHistories reports it
                }
            }
        }
        long received = -1;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() < deadline) {
            boolean caughtUp = subscribers.stream().allMatch(s -> topics.stream().allMatch(t -> s.lastSeq(t) >= ends.get(t)));
            if (caughtUp) {
                faults.note("%s subscribers caught up with %s", Trace.at(trace.nowNanos()), ends);
                return;
            }
            long now = subscribers.stream().mapToLong(s -> topics.stream().mapToLong(s::lastSeq).sum()).sum();
            if (now != received) {
                received = now;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > DRAIN_STALL.toNanos()) {
                break; // nothing is coming any more: the checker will say who misses what
            }
            Thread.sleep(100);
        }
        faults.note("%s subscribers did not catch up with %s", Trace.at(trace.nowNanos()), ends);
    }

    /** The longest stretch of [from, to] in which no attempt was answered with an acknowledgement. */
    static long longestPause(Trace.Snapshot trace, long from, long to) {
        List<Long> acks = trace.answers().stream().filter(Trace.Answer::acknowledged).map(Trace.Answer::answeredNanos)
                .filter(t -> t >= from && t <= to).sorted().toList();
        long longest = 0;
        long previous = from;
        for (long t : acks) {
            longest = Math.max(longest, t - previous);
            previous = t;
        }
        return Math.max(longest, to - previous);
    }

    private Path writeSummary(String headline, Trace.Snapshot trace, Map<String, Map<String, List<Checker.HistoryEntry>>> histories,
                              List<Subscriber> subscribers, List<Publisher> publishers, Faults faults,
                              List<Checker.Violation> violations, Map<String, Long> checkStats, long scheduleStartNanos,
                              long scheduleNanos, long wallMillis) throws IOException {
        long acked = trace.answers().stream().filter(Trace.Answer::acknowledged).map(Trace.Answer::key).distinct().count();
        long attempts = trace.answers().size();
        Map<Integer, Long> byStatus = new java.util.TreeMap<>();
        trace.answers().forEach(a -> byStatus.merge(a.status(), 1L, Long::sum));
        long retries = publishers.stream().mapToLong(Publisher::retries).sum();
        List<String> lines = new ArrayList<>();
        lines.add(headline);
        lines.add(String.format("nodes %d, topics %d, publishers %d at %d posts/s each, long=%s, jar %s", settings.nodes(),
                settings.topics(), settings.publishers(), settings.postsPerSecondPerPublisher(), settings.longRun(), settings.jar()));
        lines.add(String.format("posts acknowledged: %d keys; attempts %d (by status, 0 = no answer: %s); retries %d; abandoned %d",
                acked, attempts, byStatus, retries, trace.abandoned().size()));
        Map<String, Long> ackedByNode = new java.util.TreeMap<>();
        trace.answers().stream().filter(Trace.Answer::acknowledged).forEach(a -> ackedByNode.merge(a.node(), 1L, Long::sum));
        lines.add("acknowledgements by node: " + ackedByNode);
        lines.add(String.format("causal relay: %d effects posted after live causes (%d refused); %d delivered to subscribers, %d of them judged (cause's topic live on that connection)",
                subscribers.stream().mapToLong(Subscriber::relayed).sum(), subscribers.stream().mapToLong(Subscriber::relayErrors).sum(),
                trace.deliveries().stream().filter(d -> d.causeTopic() != null).count(), checkStats.getOrDefault("causal pairs judged", 0L)));
        lines.add(String.format("deliveries: %d over %d subscribers; reconnects %s", trace.deliveries().size(), subscribers.size(),
                subscribers.stream().map(s -> s.name() + "=" + s.reconnects() + (s.errors() > 0 ? " (" + s.errors() + " error frames)" : "")).toList()));
        lines.add(String.format("faults: %d (%s); schedule %.1f s; outage windows checked: %d",
                trace.faults().size(), trace.faults().stream().map(f -> f.kind() + " " + f.node()).toList(),
                scheduleNanos / 1e9, trace.outages().size()));
        lines.add(String.format("slowest time to one view after a heal: %d ms", faults.slowestOneViewNanos() / 1_000_000));
        lines.add(String.format("longest pause between acknowledgements during the schedule: %d ms",
                longestPause(trace, scheduleStartNanos, scheduleStartNanos + scheduleNanos) / 1_000_000));
        histories.forEach((node, topics) -> lines.add("history of " + node + ": " + topics.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue().size()).toList()));
        lines.add(String.format("wall time %.1f s; logs in %s", wallMillis / 1e3, settings.runDir().resolve("logs")));
        lines.add("");
        lines.add("timeline:");
        faults.notes().forEach(n -> lines.add("  " + n));
        lines.add("");
        lines.add("violations: " + violations.size());
        violations.forEach(v -> lines.add("  " + v));
        Path summary = settings.runDir().getParent().resolve(settings.name() + ".txt");
        Files.write(summary, lines);
        return summary;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
