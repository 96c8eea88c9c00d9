package io.backplane.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backplane.node.support.TestNode;
import io.backplane.node.support.WsTestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seam (CONTRACT.md §5, §6.3) under load: subscribers join with random replay forms while posts
 * are flowing, and each must see, per topic, consecutive seqs from its first one to the last post —
 * every replayed frame before every live one, and replay-complete naming the last replayed seq.
 * Each trial's seed is printed so a failure replays the same joins.
 */
class SeamUnderLoadTest {
    private static final int TRIALS = 12;
    private static final int POSTS_PER_TRIAL = 1500;
    private static final int SUBSCRIBERS_PER_TRIAL = 6;
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void subscribersJoiningDuringPostsSeeNoGapAndNoDuplicate() throws Exception {
        long firstSeed = System.nanoTime();
        for (int trial = 0; trial < TRIALS; trial++) {
            long seed = firstSeed + trial;
            runTrial(trial, seed);
        }
    }

    private void runTrial(int trial, long seed) throws Exception {
        Random random = new Random(seed);
        String topic = "/SEAM/T" + trial + "/X";
        String context = "trial " + trial + " seed " + seed;
        List<Joiner> joiners = new ArrayList<>();
        try (WsTestClient publisher = WsTestClient.connect(node.baseUrl())) {
            int[] joinAt = random.ints(SUBSCRIBERS_PER_TRIAL, 0, POSTS_PER_TRIAL).sorted().toArray();
            int next = 0;
            int acked = 0;
            for (int i = 0; i < POSTS_PER_TRIAL; i++) {
                publisher.send("{\"op\":\"post\",\"id\":\"p" + i + "\",\"topic\":\"" + topic + "\",\"payload\":{\"i\":" + i + "}}");
                // Keep a window of posts in flight so joins race with sequencing, storage and fan-out.
                if (i - acked > 64) {
                    expectPosted(publisher, context);
                    acked++;
                }
                while (next < joinAt.length && joinAt[next] == i) {
                    joiners.add(Joiner.join(node.baseUrl(), topic, random, acked));
                    next++;
                }
            }
            while (acked < POSTS_PER_TRIAL) {
                expectPosted(publisher, context);
                acked++;
            }
        }
        for (Joiner joiner : joiners) {
            try (joiner) {
                joiner.receiveThrough(POSTS_PER_TRIAL, context);
            }
        }
    }

    private static void expectPosted(WsTestClient publisher, String context) {
        JsonNode f = publisher.next(Duration.ofSeconds(20));
        assertThat(f.path("type").asText()).as(context + ": " + f).isEqualTo("posted");
    }

    /** One subscriber with a random replay form and what it must therefore see first. */
    private static final class Joiner implements AutoCloseable {
        final WsTestClient ws;
        final String topic;
        final String description;
        final long expectedFirst; // 0 = any (live only)
        final boolean replayRequested;

        private Joiner(WsTestClient ws, String topic, String description, long expectedFirst, boolean replayRequested) {
            this.ws = ws;
            this.topic = topic;
            this.description = description;
            this.expectedFirst = expectedFirst;
            this.replayRequested = replayRequested;
        }

        static Joiner join(String base, String topic, Random random, int ackedSoFar) {
            WsTestClient ws = WsTestClient.connect(base);
            int form = random.nextInt(4);
            String replay;
            long first;
            String subscribeTopic = topic;
            switch (form) {
                case 0 -> {
                    long from = 1 + random.nextInt(Math.max(1, ackedSoFar));
                    replay = "{\"fromSeq\":" + from + "}";
                    first = from;
                }
                case 1 -> {
                    int last = 1 + random.nextInt(200);
                    replay = "{\"last\":" + last + "}";
                    first = 0; // depends on the delivered seq at the join point; checked for consecutiveness
                }
                case 2 -> {
                    replay = null;
                    first = 0;
                }
                default -> {
                    replay = "{\"fromSeq\":1}";
                    first = 1;
                    subscribeTopic = topic.substring(0, topic.lastIndexOf('/')) + "/*";
                }
            }
            String op = "{\"op\":\"subscribe\",\"id\":\"s\",\"topic\":\"" + subscribeTopic + "\""
                    + (replay == null ? "" : ",\"replay\":" + replay) + "}";
            ws.send(op);
            return new Joiner(ws, topic, op, first, replay != null);
        }

        void receiveThrough(long lastSeq, String context) {
            String where = context + " " + description;
            JsonNode subscribed = ws.next(Duration.ofSeconds(20));
            assertThat(subscribed.path("type").asText()).as(where).isEqualTo("subscribed");
            long previous = -1;
            boolean sawLive = false;
            long lastReplayed = 0;
            boolean sawComplete = false;
            while (previous != lastSeq) {
                JsonNode f = ws.next(Duration.ofSeconds(20));
                String type = f.path("type").asText();
                if (type.equals("replay-complete")) {
                    assertThat(f.path("topic").asText()).as(where).isEqualTo(topic);
                    assertThat(sawComplete).as(where + " one replay-complete per topic").isFalse();
                    assertThat(sawLive).as(where + " replay-complete after a live message").isFalse();
                    long completeAt = f.path("lastSeq").asLong();
                    if (lastReplayed > 0) {
                        assertThat(completeAt).as(where + " replay-complete names the last replayed seq").isEqualTo(lastReplayed);
                    } else {
                        previous = completeAt; // nothing replayed: the first live message must follow it
                    }
                    sawComplete = true;
                    continue;
                }
                assertThat(type).as(where + ": " + f).isEqualTo("message");
                JsonNode m = f.path("message");
                assertThat(m.path("topic").asText()).as(where).isEqualTo(topic);
                long seq = m.path("seq").asLong();
                boolean replay = f.path("replay").asBoolean();
                if (previous == -1) {
                    if (expectedFirst > 0) {
                        assertThat(seq).as(where + " first seq").isEqualTo(expectedFirst);
                    }
                } else {
                    assertThat(seq).as(where + " consecutive after " + previous).isEqualTo(previous + 1);
                }
                if (replay) {
                    assertThat(sawLive).as(where + " replay frame after live frames").isFalse();
                    assertThat(replayRequested).as(where + " replay frames without replay").isTrue();
                    lastReplayed = seq;
                } else {
                    if (replayRequested && !sawLive) {
                        assertThat(sawComplete).as(where + " live before replay-complete").isTrue();
                    }
                    sawLive = true;
                }
                previous = seq;
            }
            if (replayRequested && !sawComplete) {
                // The replay itself reached the last post: replay-complete follows it.
                JsonNode f = ws.next(Duration.ofSeconds(20));
                assertThat(f.path("type").asText()).as(where + ": " + f).isEqualTo("replay-complete");
                assertThat(f.path("lastSeq").asLong()).as(where).isEqualTo(lastSeq);
            }
            assertThat(ws.poll(Duration.ofMillis(50))).as(where + " nothing after the last post").isNull();
        }

        @Override
        public void close() {
            ws.close();
        }
    }
}
