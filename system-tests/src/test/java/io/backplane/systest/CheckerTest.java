package io.backplane.systest;

import static org.assertj.core.api.Assertions.assertThat;

import io.backplane.systest.Checker.HistoryEntry;
import io.backplane.systest.Checker.Property;
import io.backplane.systest.Checker.Violation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checker must be able to fail: each test plants one fault in an otherwise clean, hand-made trace
 * of three nodes and expects exactly the property it breaks, with a message naming topic, seq, ids and node.
 */
class CheckerTest {
    private static final String T = "/SYSTEST/T0";
    private static final List<String> NODES = List.of("n1", "n2", "n3");

    /** A clean run: keys k1..k3 acknowledged at seq 1..3, in every history, seen by every subscriber. */
    private final List<Trace.Answer> answers = new ArrayList<>(List.of(ack("k1", 1, "n1"), ack("k2", 2, "n2"), ack("k3", 3, "n3")));
    private final List<Trace.Abandoned> abandoned = new ArrayList<>();
    private final List<Trace.Delivery> deliveries = new ArrayList<>();
    private final List<Trace.Outage> outages = new ArrayList<>();
    private final List<Trace.ReplayComplete> replayCompletes = new ArrayList<>();
    private final Map<String, Map<String, List<HistoryEntry>>> histories = new LinkedHashMap<>();

    CheckerTest() {
        for (String node : NODES) {
            histories.put(node, new LinkedHashMap<>(Map.of(T, new ArrayList<>(List.of(entry(1), entry(2), entry(3))))));
            for (long seq = 1; seq <= 3; seq++) {
                deliveries.add(delivery("s-" + node, node, seq));
            }
        }
    }

    private static Trace.Answer ack(String key, long seq, String node) {
        return new Trace.Answer("p0", key, T, node, seq * 1_000_000, seq * 1_000_000 + 500_000, 201, seq, "L:" + key, null);
    }

    private static HistoryEntry entry(long seq) {
        return new HistoryEntry(seq, "L:k" + seq, "k" + seq);
    }

    private static Trace.Delivery delivery(String subscriber, String node, long seq) {
        return new Trace.Delivery(subscriber, node, 1, T, seq, "L:k" + seq, seq * 2_000_000);
    }

    private List<Violation> check() {
        Trace.Snapshot trace = new Trace.Snapshot(answers, abandoned, deliveries, replayCompletes, List.of(), outages, List.of());
        return Checker.check(new Checker.Input(trace, histories, List.of(T), NODES.stream().map(n -> "s-" + n).toList()));
    }

    private List<HistoryEntry> history(String node) {
        return histories.get(node).get(T);
    }

    @Test
    void aCleanRunHasNoViolations() {
        assertThat(check()).isEmpty();
    }

    @Test
    void anAcknowledgedPostMissingFromOneReplicaIsCaught() {
        history("n3").remove(2);
        assertThat(check()).filteredOn(v -> v.property() == Property.ACKED_POST_IN_EVERY_REPLICA)
                .singleElement().asString().contains("topic /SYSTEST/T0 seq 3 id L:k3", "missing from n3's history", "201 from n3 to key k3");
        assertThat(check()).extracting(Violation::property).contains(Property.REPLICAS_IDENTICAL);
    }

    @Test
    void anAcknowledgedPostRenumberedInAReplicaIsCaught() {
        history("n2").set(1, new HistoryEntry(2, "L:other", "other"));
        assertThat(check()).filteredOn(v -> v.property() == Property.ACKED_POST_IN_EVERY_REPLICA)
                .singleElement().asString().contains("seq 2 was acknowledged as id L:k2", "n2's history has id L:other (key other)");
    }

    @Test
    void anotherPostUnderTheSameIdAtTheAcknowledgedSeqIsCaught() {
        // A node reborn without its data may hand out the same ids again: the payload's key tells the posts apart.
        history("n1").set(0, new HistoryEntry(1, "L:k1", "someone-else"));
        assertThat(check()).filteredOn(v -> v.property() == Property.ACKED_POST_IN_EVERY_REPLICA)
                .singleElement().asString().contains("seq 1 was acknowledged as id L:k1", "n1's history has id L:k1 (key someone-else)");
    }

    @Test
    void twoIdsAtOneSeqAreCaughtEvenWhenOnlyTwoAcknowledgementsDisagree() {
        answers.add(new Trace.Answer("p1", "k9", T, "n3", 9_000_000, 9_500_000, 201, 2, "L:k9", null));
        assertThat(check()).filteredOn(v -> v.property() == Property.ONE_ID_PER_SEQ)
                .singleElement().asString().contains("topic /SYSTEST/T0 seq 2 has two ids: L:k2", "L:k9", "201 from n3 to key k9");
    }

    @Test
    void oneIdAtTwoSeqsIsCaught() {
        history("n1").add(new HistoryEntry(4, "L:k1", "k1-again"));
        assertThat(check()).extracting(Violation::property).contains(Property.ONE_SEQ_PER_ID);
        assertThat(check()).filteredOn(v -> v.property() == Property.ONE_SEQ_PER_ID).first().asString()
                .contains("id L:k1 is at topic /SYSTEST/T0 seq 1", "seq 4", "n1's history");
    }

    @Test
    void aKeyAppliedTwiceIsCaught() {
        for (String node : NODES) {
            history(node).add(new HistoryEntry(4, "L:k2b", "k2"));
            deliveries.add(new Trace.Delivery("s-" + node, node, 1, T, 4, "L:k2b", 9));
        }
        assertThat(check()).filteredOn(v -> v.property() == Property.IDEMPOTENCY).hasSize(3).first().asString()
                .contains("key k2 appears twice in n1's history of /SYSTEST/T0: seq 2 id L:k2 and seq 4 id L:k2b");
    }

    @Test
    void aRetryAnsweredWithADifferentEnvelopeIsCaught() {
        answers.add(new Trace.Answer("p0", "k2", T, "n1", 9, 10, 200, 3, "L:k3", null));
        assertThat(check()).filteredOn(v -> v.property() == Property.IDEMPOTENCY).singleElement().asString()
                .contains("key k2 on topic /SYSTEST/T0 was acknowledged twice differently");
    }

    @Test
    void aRefusedPostThatAppearsIsCaught() {
        answers.add(new Trace.Answer("p0", "k4", T, "n1", 9, 10, 400, -1, null, "bad-request"));
        for (String node : NODES) {
            history(node).add(new HistoryEntry(4, "L:k4", "k4"));
            deliveries.add(new Trace.Delivery("s-" + node, node, 1, T, 4, "L:k4", 11));
        }
        assertThat(check()).filteredOn(v -> v.property() == Property.REFUSED_POST_NEVER_APPEARS).hasSize(3)
                .first().asString().contains("key k4 was refused", "n1's history of /SYSTEST/T0 has it at seq 4");
    }

    @Test
    void aSubscriberGapIsCaught() {
        deliveries.removeIf(d -> d.subscriber().equals("s-n2") && d.seq() == 2);
        assertThat(check()).filteredOn(v -> v.property() == Property.SUBSCRIBER_NO_GAP_DUPLICATE_REGRESSION)
                .singleElement().asString().contains("subscriber s-n2 got a gap (missing 2) on topic /SYSTEST/T0: seq 3", "after seq 1");
    }

    @Test
    void aSubscriberDuplicateAcrossAReconnectIsCaught() {
        deliveries.add(new Trace.Delivery("s-n1", "n2", 2, T, 3, "L:k3", 99));
        assertThat(check()).filteredOn(v -> v.property() == Property.SUBSCRIBER_NO_GAP_DUPLICATE_REGRESSION)
                .singleElement().asString().contains("s-n1 got a duplicate", "seq 3 id L:k3 from n2 (connection 2", "after seq 3 (from n1, connection 1)");
    }

    @Test
    void aSubscriberRegressionIsCaught() {
        deliveries.add(new Trace.Delivery("s-n3", "n1", 2, T, 1, "L:k1", 99));
        assertThat(check()).filteredOn(v -> v.property() == Property.SUBSCRIBER_NO_GAP_DUPLICATE_REGRESSION)
                .singleElement().asString().contains("s-n3 got a regression", "seq 1");
    }

    @Test
    void aSubscriberThatMissedTheTailIsCaught() {
        deliveries.removeIf(d -> d.subscriber().equals("s-n1") && d.seq() == 3);
        assertThat(check()).singleElement().asString()
                .contains("SUBSCRIBER_RECEIVED_EVERYTHING", "s-n1 got topic /SYSTEST/T0 only up to seq 2", "seq 3");
    }

    @Test
    void aPublishersLaterPostWithALowerSeqIsCaught() {
        answers.set(2, ack("k3", 3, "n3"));
        answers.add(new Trace.Answer("p0", "k5", T, "n1", 9, 10, 201, 2, "L:k2", null));
        assertThat(check()).extracting(Violation::property).contains(Property.PUBLISHER_ORDER);
    }

    @Test
    void anAcknowledgementFromANodeOutsideThePrimaryViewIsCaught() {
        outages.add(new Trace.Outage("n3", 2_500_000, 4_000_000, "partitioned [n3] | [n1, n2]"));
        assertThat(check()).singleElement().asString()
                .contains("NO_ACK_OUTSIDE_PRIMARY_VIEW", "n3 answered 201 (topic /SYSTEST/T0 seq 3 id L:k3, key k3)", "partitioned [n3]");
    }

    @Test
    void anAcknowledgementAnsweredAfterTheHealIsAllowed() {
        outages.add(new Trace.Outage("n3", 2_500_000, 3_200_000, "partitioned"));
        assertThat(check()).isEmpty();
    }

    @Test
    void divergentReplicaHistoriesAreCaught() {
        history("n2").add(new HistoryEntry(4, "L:x", "x"));
        assertThat(check()).filteredOn(v -> v.property() == Property.REPLICAS_IDENTICAL).singleElement().asString()
                .contains("topic /SYSTEST/T0: n1 has 3 messages (last seq 3), n2 has 4 (last seq 4)");
    }

    @Test
    void anAbandonedPostIsCaught() {
        abandoned.add(new Trace.Abandoned("p1", "k7", T, 31, 60_000_000_000L));
        answers.add(new Trace.Answer("p1", "k7", T, "n1", 1, 2, 503, -1, null, "unavailable"));
        assertThat(check()).singleElement().asString().contains("EVERY_POST_RESOLVED", "gave up on key k7", "{503=1}");
    }

    private static final String EFFECT_TOPIC = "/SYSTEST/T1";

    /** s-n1's live delivery of a message posted after T seq 3 was received, placed at {@code index}. */
    private void effectForS1At(int index) {
        deliveries.add(index, new Trace.Delivery("s-n1", "n1", 1, EFFECT_TOPIC, 1, "L:e1", 5_000_000, false, T, 3));
    }

    @Test
    void anEffectDeliveredBeforeItsCauseIsCaught() {
        replayCompletes.add(new Trace.ReplayComplete("s-n1", 1, T, 1, 0)); // T is live on s-n1's connection 1
        effectForS1At(2); // after T seq 1 and 2, before 3
        assertThat(check()).singleElement().asString()
                .contains("CAUSAL_ORDER_ACROSS_TOPICS", "s-n1 got topic /SYSTEST/T1 seq 1 id L:e1",
                        "posted after /SYSTEST/T0 seq 3", "only up to seq 2");
    }

    @Test
    void anEffectDeliveredAfterItsCauseIsFine() {
        replayCompletes.add(new Trace.ReplayComplete("s-n1", 1, T, 1, 0));
        effectForS1At(3);
        assertThat(check()).isEmpty();
    }

    @Test
    void anEffectAheadOfItsCausesTopicStillReplayingIsNotJudged() {
        // s-n1's messages of T are replayed, and its replay of T has not ended when the effect arrives live.
        deliveries.replaceAll(d -> d.subscriber().equals("s-n1")
                ? new Trace.Delivery(d.subscriber(), d.node(), d.connection(), d.topic(), d.seq(), d.id(), d.atNanos(), true, null, 0)
                : d);
        effectForS1At(0);
        replayCompletes.add(new Trace.ReplayComplete("s-n1", 1, T, 9_000_000, 4));
        assertThat(check()).isEmpty();
    }

    @Test
    void aNewConnectionStartsWithNoLiveTopics() {
        // T went live on connection 1; the effect comes live on connection 2, where T has not gone live yet.
        replayCompletes.add(new Trace.ReplayComplete("s-n1", 1, T, 1, 0));
        deliveries.add(2, new Trace.Delivery("s-n1", "n2", 2, EFFECT_TOPIC, 1, "L:e1", 5_000_000, false, T, 3));
        assertThat(check()).isEmpty();
    }
}
