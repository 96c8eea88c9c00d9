package io.backplane.systest;

import static io.backplane.systest.Trace.at;

import io.backplane.systest.Trace.Answer;
import io.backplane.systest.Trace.Delivery;
import io.backplane.systest.Trace.Outage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Judges one run: the recorded trace plus every surviving replica's final history, read after the
 * faults were healed. Each property of issue 5 and DESIGN.md §6 ("what the system checker asserts") is
 * one method; each violation names the topic, seq, ids, keys, node and trace time involved, so a
 * failing run says what broke without a debugger. The checker must be able to fail: CheckerTest feeds
 * it hand-made traces that break each property.
 */
public final class Checker {
    /** The properties, one per check; a violation carries the one it breaks. */
    public enum Property {
        ACKED_POST_IN_EVERY_REPLICA,
        ONE_ID_PER_SEQ,
        ONE_SEQ_PER_ID,
        IDEMPOTENCY,
        REFUSED_POST_NEVER_APPEARS,
        SUBSCRIBER_NO_GAP_DUPLICATE_REGRESSION,
        SUBSCRIBER_RECEIVED_EVERYTHING,
        PUBLISHER_ORDER,
        CAUSAL_ORDER_ACROSS_TOPICS,
        NO_ACK_OUTSIDE_PRIMARY_VIEW,
        REPLICAS_IDENTICAL,
        EVERY_POST_RESOLVED,
        HARNESS
    }

    /** One message of a replica's final history; {@code key} is the idempotency key the payload carries. */
    public record HistoryEntry(long seq, String id, String key) { }

    /**
     * What the checker judges. {@code histories}: node → topic → entries, oldest first, of every replica
     * that survived; a topic a node has no history of is an empty list or absent.
     */
    public record Input(Trace.Snapshot trace, Map<String, Map<String, List<HistoryEntry>>> histories,
                        List<String> topics, List<String> subscribers) { }

    public record Violation(Property property, String message) {
        @Override
        public String toString() {
            return property + ": " + message;
        }
    }

    /** Violations of one property beyond this many are counted, not listed. */
    static final int VIOLATIONS_LISTED_PER_PROPERTY_MAX = 20;

    private final Input input;
    private final Map<Property, List<Violation>> found = new LinkedHashMap<>();
    private final Map<Property, Integer> unlisted = new LinkedHashMap<>();
    private Map<String, Long> stats = new LinkedHashMap<>();

    private Checker(Input input) {
        this.input = input;
    }

    public static List<Violation> check(Input input) {
        return check(input, new LinkedHashMap<>());
    }

    /**
     * Checks, and puts into {@code stats} how much of the trace some properties could judge (e.g.
     * "causal pairs judged"), so a run's summary shows a check that passed was not vacuous.
     */
    public static List<Violation> check(Input input, Map<String, Long> stats) {
        Checker checker = new Checker(input);
        checker.stats = stats;
        checker.harnessFailures();
        checker.ackedPostsAreInEveryReplicaAtTheirSeq();
        checker.oneIdPerSeqAndOneSeqPerId();
        checker.oneKeyIsOnePost();
        checker.refusedPostsNeverAppear();
        checker.subscriberStreamsAreConsecutive();
        checker.subscribersReceivedEverything();
        checker.eachPublishersAcksIncreasePerTopic();
        checker.causalOrderAcrossTopics();
        checker.noAckFromANodeOutsideThePrimaryView();
        checker.replicaHistoriesAreIdentical();
        checker.everyPostWasResolved();
        return checker.violations();
    }

    private List<Violation> violations() {
        List<Violation> all = new ArrayList<>();
        found.values().forEach(all::addAll);
        unlisted.forEach((property, n) -> all.add(new Violation(property, "... and " + n + " more like these")));
        return all;
    }

    private void violation(Property property, String format, Object... args) {
        List<Violation> list = found.computeIfAbsent(property, p -> new ArrayList<>());
        if (list.size() < VIOLATIONS_LISTED_PER_PROPERTY_MAX) {
            list.add(new Violation(property, String.format(format, args)));
        } else {
            unlisted.merge(property, 1, Integer::sum);
        }
    }

    private void harnessFailures() {
        input.trace().harnessFailures().forEach(f -> violation(Property.HARNESS, "%s: %s", f.property(), f.message()));
    }

    private static String describe(Answer a) {
        return String.format("%d from %s to key %s (sent %s)", a.status(), a.node(), a.key(), at(a.sentNanos()));
    }

    private List<HistoryEntry> history(String node, String topic) {
        return input.histories().getOrDefault(node, Map.of()).getOrDefault(topic, List.of());
    }

    /** seq → entry; a replica with two entries at one seq is reported by oneIdPerSeq. */
    private Map<Long, HistoryEntry> bySeq(String node, String topic) {
        Map<Long, HistoryEntry> map = new HashMap<>();
        history(node, topic).forEach(e -> map.putIfAbsent(e.seq(), e));
        return map;
    }

    /** Issue 5: every 201'd post is in every surviving replica's history at the same seq with the same id. */
    void ackedPostsAreInEveryReplicaAtTheirSeq() {
        Map<String, Map<String, Map<Long, HistoryEntry>>> index = new HashMap<>();
        for (Answer a : input.trace().answers()) {
            if (!a.acknowledged()) {
                continue;
            }
            for (String node : new TreeSet<>(input.histories().keySet())) {
                HistoryEntry entry = index.computeIfAbsent(node, n -> new HashMap<>())
                        .computeIfAbsent(a.topic(), t -> bySeq(node, t)).get(a.seq());
                if (entry == null) {
                    violation(Property.ACKED_POST_IN_EVERY_REPLICA,
                            "topic %s seq %d id %s (%s) is missing from %s's history", a.topic(), a.seq(), a.id(), describe(a), node);
                } else if (!entry.id().equals(a.id()) || (entry.key() != null && !entry.key().equals(a.key()))) {
                    violation(Property.ACKED_POST_IN_EVERY_REPLICA,
                            "topic %s seq %d was acknowledged as id %s (%s) but %s's history has id %s (key %s) there",
                            a.topic(), a.seq(), a.id(), describe(a), node, entry.id(), entry.key());
                }
            }
        }
    }

    private record Sighting(String topic, long seq, String id, String where) { }

    /** No seq maps to two ids, no id to two seqs — over acknowledgements, deliveries and histories alike. */
    void oneIdPerSeqAndOneSeqPerId() {
        List<Sighting> sightings = new ArrayList<>();
        for (Answer a : input.trace().answers()) {
            if (a.acknowledged()) {
                sightings.add(new Sighting(a.topic(), a.seq(), a.id(), "the answer " + describe(a)));
            }
        }
        for (Delivery d : input.trace().deliveries()) {
            sightings.add(new Sighting(d.topic(), d.seq(), d.id(),
                    String.format("subscriber %s on %s (connection %d, %s)", d.subscriber(), d.node(), d.connection(), at(d.atNanos()))));
        }
        input.histories().forEach((node, topics) -> topics.forEach((topic, entries) -> entries.forEach(
                e -> sightings.add(new Sighting(topic, e.seq(), e.id(), node + "'s history")))));

        Map<String, Sighting> idAtSeq = new HashMap<>();
        Map<String, Sighting> seqOfId = new HashMap<>();
        Set<String> reported = new java.util.HashSet<>();
        for (Sighting s : sightings) {
            Sighting first = idAtSeq.putIfAbsent(s.topic() + "#" + s.seq(), s);
            if (first != null && !first.id().equals(s.id()) && reported.add("seq " + s.topic() + "#" + s.seq() + " " + s.id())) {
                violation(Property.ONE_ID_PER_SEQ, "topic %s seq %d has two ids: %s (in %s) and %s (in %s)",
                        s.topic(), s.seq(), first.id(), first.where(), s.id(), s.where());
            }
            Sighting sameId = seqOfId.putIfAbsent(s.id(), s);
            if (sameId != null && (sameId.seq() != s.seq() || !sameId.topic().equals(s.topic()))
                    && reported.add("id " + s.id() + " " + s.topic() + "#" + s.seq())) {
                violation(Property.ONE_SEQ_PER_ID, "id %s is at topic %s seq %d (in %s) and at topic %s seq %d (in %s)",
                        s.id(), sameId.topic(), sameId.seq(), sameId.where(), s.topic(), s.seq(), s.where());
            }
        }
    }

    /**
     * An idempotency key is one post: every acknowledgement of a key names the same seq and id (a retry
     * answers 200 with the first envelope), and a key appears at most once in each replica's history
     * (a post whose answer was lost is applied at most once).
     */
    void oneKeyIsOnePost() {
        Map<String, Answer> firstAck = new HashMap<>();
        for (Answer a : input.trace().answers()) {
            if (!a.acknowledged()) {
                continue;
            }
            Answer first = firstAck.putIfAbsent(a.key(), a);
            if (first != null && (first.seq() != a.seq() || !first.id().equals(a.id()))) {
                violation(Property.IDEMPOTENCY, "key %s on topic %s was acknowledged twice differently: seq %d id %s (%s), then seq %d id %s (%s)",
                        a.key(), a.topic(), first.seq(), first.id(), describe(first), a.seq(), a.id(), describe(a));
            }
        }
        input.histories().forEach((node, topics) -> topics.forEach((topic, entries) -> {
            Map<String, HistoryEntry> seen = new HashMap<>();
            for (HistoryEntry e : entries) {
                HistoryEntry earlier = e.key() == null ? null : seen.putIfAbsent(e.key(), e);
                if (earlier != null) {
                    violation(Property.IDEMPOTENCY, "key %s appears twice in %s's history of %s: seq %d id %s and seq %d id %s",
                            e.key(), node, topic, earlier.seq(), earlier.id(), e.seq(), e.id());
                }
            }
        }));
    }

    /** A post refused outright (4xx other than 429) for every attempt of its key never appears. */
    void refusedPostsNeverAppear() {
        Map<String, List<Answer>> byKey = new HashMap<>();
        input.trace().answers().forEach(a -> byKey.computeIfAbsent(a.key(), k -> new ArrayList<>()).add(a));
        Set<String> refused = new TreeSet<>();
        byKey.forEach((key, answers) -> {
            if (answers.stream().allMatch(Answer::definiteRefusal)) {
                refused.add(key);
            }
        });
        input.histories().forEach((node, topics) -> topics.forEach((topic, entries) -> entries.stream()
                .filter(e -> e.key() != null && refused.contains(e.key())) // keyless: the causal relay's posts
                .forEach(e -> violation(Property.REFUSED_POST_NEVER_APPEARS,
                        "key %s was refused (%s) yet %s's history of %s has it at seq %d id %s", e.key(),
                        byKey.get(e.key()).stream().map(Checker::describe).toList(), node, topic, e.seq(), e.id()))));
    }

    /**
     * Each subscriber's stream per topic is 1, 2, 3, … across all its reconnections: no gap, no duplicate,
     * no regression (subscribers start at fromSeq 1 and resume at last + 1).
     */
    void subscriberStreamsAreConsecutive() {
        Map<String, Long> expected = new HashMap<>();
        Map<String, Delivery> previous = new HashMap<>();
        for (Delivery d : input.trace().deliveries()) {
            String stream = d.subscriber() + " " + d.topic();
            long want = expected.getOrDefault(stream, 1L);
            Delivery prev = previous.get(stream);
            String after = prev == null ? "as its first message"
                    : String.format("after seq %d (from %s, connection %d)", prev.seq(), prev.node(), prev.connection());
            if (d.seq() == want) {
                expected.put(stream, want + 1);
                previous.put(stream, d);
                continue;
            }
            String what = d.seq() > want ? "a gap (missing " + want + (d.seq() - 1 > want ? ".." + (d.seq() - 1) : "") + ")"
                    : d.seq() == want - 1 ? "a duplicate" : "a regression";
            violation(Property.SUBSCRIBER_NO_GAP_DUPLICATE_REGRESSION,
                    "subscriber %s got %s on topic %s: seq %d id %s from %s (connection %d, %s) %s",
                    d.subscriber(), what, d.topic(), d.seq(), d.id(), d.node(), d.connection(), at(d.atNanos()), after);
            if (d.seq() > want) {
                expected.put(stream, d.seq() + 1);
                previous.put(stream, d);
            }
        }
    }

    /** After the drain, every subscriber has every topic up to the end of the longest replica history. */
    void subscribersReceivedEverything() {
        Map<String, Long> lastDelivered = new HashMap<>();
        input.trace().deliveries().forEach(d -> lastDelivered.merge(d.subscriber() + " " + d.topic(), d.seq(), Math::max));
        for (String topic : input.topics()) {
            long end = 0;
            String endNode = null;
            for (String node : new TreeSet<>(input.histories().keySet())) {
                List<HistoryEntry> h = history(node, topic);
                if (!h.isEmpty() && h.get(h.size() - 1).seq() > end) {
                    end = h.get(h.size() - 1).seq();
                    endNode = node;
                }
            }
            for (String subscriber : input.subscribers()) {
                long last = lastDelivered.getOrDefault(subscriber + " " + topic, 0L);
                if (last < end) {
                    violation(Property.SUBSCRIBER_RECEIVED_EVERYTHING,
                            "subscriber %s got topic %s only up to seq %d, but %s's history goes to seq %d",
                            subscriber, topic, last, endNode, end);
                }
            }
        }
    }

    /** DESIGN.md §6.5: posts acknowledged one after another to one publisher get increasing seqs per topic. */
    void eachPublishersAcksIncreasePerTopic() {
        Map<String, Answer> last = new HashMap<>();
        for (Answer a : input.trace().answers()) {
            if (!a.acknowledged()) {
                continue;
            }
            Answer prev = last.put(a.publisher() + " " + a.topic(), a);
            if (prev != null && !prev.key().equals(a.key()) && a.seq() <= prev.seq()) {
                violation(Property.PUBLISHER_ORDER,
                        "publisher %s: topic %s key %s got seq %d (%s) after key %s had got seq %d (%s)",
                        a.publisher(), a.topic(), a.key(), a.seq(), describe(a), prev.key(), prev.seq(), describe(prev));
            }
        }
    }

    /**
     * Issue 5: the minority never answers 2xx to a post, and a paused node never acknowledges after it
     * was excluded. An outage window is a time the node was outside the primary view for certain; a post
     * sent to it inside the window and acknowledged before the window ended is a violation (one sent
     * inside but answered after the heal may have been served by a node that rejoined).
     */
    void noAckFromANodeOutsideThePrimaryView() {
        for (Outage o : input.trace().outages()) {
            for (Answer a : input.trace().answers()) {
                if (a.acknowledged() && a.node().equals(o.node()) && a.sentNanos() >= o.fromNanos() && a.answeredNanos() < o.toNanos()) {
                    violation(Property.NO_ACK_OUTSIDE_PRIMARY_VIEW,
                            "%s answered %d (topic %s seq %d id %s, key %s) to a post sent at %s, answered at %s, while outside the primary view (%s, %s..%s)",
                            a.node(), a.status(), a.topic(), a.seq(), a.id(), a.key(), at(a.sentNanos()), at(a.answeredNanos()),
                            o.why(), at(o.fromNanos()), at(o.toNanos()));
                }
            }
        }
    }

    /**
     * CONTRACT.md §6.2: a message a client posted after it received message m of another topic is
     * delivered after m to every subscriber of both. Judged where the contract promises it, on live
     * delivery: when a subscriber receives the effect live on a connection on which the cause's topic is
     * live too (its replay there ended), it must already have the cause (its last seq of that topic, over
     * all its connections, is at least the cause's). Replays are per topic (§5), so an effect replayed
     * before its cause's topic caught up is not a violation.
     */
    void causalOrderAcrossTopics() {
        List<Delivery> deliveries = input.trace().deliveries();
        List<Trace.ReplayComplete> ends = input.trace().replayCompletes();
        Map<String, Long> lastSeq = new HashMap<>();            // subscriber + topic -> highest seq received
        Map<String, Integer> connectionOf = new HashMap<>();    // subscriber -> connection of its live set
        Map<String, Set<String>> live = new HashMap<>();        // subscriber -> topics live on that connection
        int e = 0;
        for (int i = 0; i <= deliveries.size(); i++) {
            while (e < ends.size() && ends.get(e).deliveriesBefore() <= i) {
                Trace.ReplayComplete end = ends.get(e++);
                liveSet(live, connectionOf, end.subscriber(), end.connection()).add(end.topic());
            }
            if (i == deliveries.size()) {
                break;
            }
            Delivery d = deliveries.get(i);
            Set<String> liveHere = liveSet(live, connectionOf, d.subscriber(), d.connection());
            if (!d.replay()) {
                liveHere.add(d.topic());
                if (d.causeTopic() != null && liveHere.contains(d.causeTopic())) {
                    stats.merge("causal pairs judged", 1L, Long::sum);
                    long had = lastSeq.getOrDefault(d.subscriber() + " " + d.causeTopic(), 0L);
                    if (had < d.causeSeq()) {
                        violation(Property.CAUSAL_ORDER_ACROSS_TOPICS,
                                "subscriber %s got topic %s seq %d id %s (posted after %s seq %d was received) from %s (connection %d, %s) while it had %s only up to seq %d, live on that connection",
                                d.subscriber(), d.topic(), d.seq(), d.id(), d.causeTopic(), d.causeSeq(), d.node(),
                                d.connection(), at(d.atNanos()), d.causeTopic(), had);
                    }
                }
            }
            lastSeq.merge(d.subscriber() + " " + d.topic(), d.seq(), Math::max);
        }
    }

    /** The topics live on the subscriber's current connection; a new connection starts with none. */
    private static Set<String> liveSet(Map<String, Set<String>> live, Map<String, Integer> connectionOf,
                                       String subscriber, int connection) {
        Integer current = connectionOf.get(subscriber);
        if (current == null || current != connection) {
            connectionOf.put(subscriber, connection);
            live.put(subscriber, new HashSet<>());
        }
        return live.get(subscriber);
    }

    /** After healing, every replica holds the same history of every topic: same seqs, same ids. */
    void replicaHistoriesAreIdentical() {
        List<String> nodes = new ArrayList<>(new TreeSet<>(input.histories().keySet()));
        if (nodes.size() < 2) {
            return;
        }
        Set<String> topics = new TreeSet<>(input.topics());
        input.histories().values().forEach(t -> topics.addAll(t.keySet()));
        String reference = nodes.get(0);
        for (String topic : topics) {
            List<HistoryEntry> ref = history(reference, topic);
            for (String node : nodes.subList(1, nodes.size())) {
                List<HistoryEntry> other = history(node, topic);
                int n = Math.min(ref.size(), other.size());
                int i = 0;
                while (i < n && ref.get(i).equals(other.get(i))) {
                    i++;
                }
                if (i < n) {
                    violation(Property.REPLICAS_IDENTICAL, "topic %s: %s and %s differ from entry %d: %s has seq %d id %s, %s has seq %d id %s",
                            topic, reference, node, i + 1, reference, ref.get(i).seq(), ref.get(i).id(), node, other.get(i).seq(), other.get(i).id());
                } else if (ref.size() != other.size()) {
                    violation(Property.REPLICAS_IDENTICAL, "topic %s: %s has %d messages (last seq %s), %s has %d (last seq %s)",
                            topic, reference, ref.size(), ref.isEmpty() ? "none" : ref.get(ref.size() - 1).seq(),
                            node, other.size(), other.isEmpty() ? "none" : other.get(other.size() - 1).seq());
                }
            }
        }
    }

    /** DESIGN.md §6.7: every pending post resolved — no key left without an acknowledgement at the end. */
    void everyPostWasResolved() {
        Map<String, TreeMap<Integer, Integer>> statusCounts = new HashMap<>();
        input.trace().answers().forEach(a -> statusCounts.computeIfAbsent(a.key(), k -> new TreeMap<>()).merge(a.status(), 1, Integer::sum));
        input.trace().abandoned().forEach(a -> violation(Property.EVERY_POST_RESOLVED,
                "publisher %s gave up on key %s (topic %s) at %s after %d attempts, answers by status (0 = none): %s",
                a.publisher(), a.key(), a.topic(), at(a.atNanos()), a.attempts(), statusCounts.getOrDefault(a.key(), new TreeMap<>())));
    }
}
