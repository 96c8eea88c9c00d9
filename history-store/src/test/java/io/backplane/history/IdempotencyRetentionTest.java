package io.backplane.history;

import static io.backplane.history.Stores.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdempotencyRetentionTest {
    private static final long START_MILLIS = 10_000;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(START_MILLIS);
    private RocksHistoryStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private void reopen(long retentionMillis, int keysPerTopic) {
        if (store != null) {
            store.close();
        }
        store = RocksHistoryStore.open(Stores.config(dir).withIdempotency(retentionMillis, keysPerTopic).withClockMillis(clock));
    }

    private void appendWithKey(String topic, long seq, String key, long timestampMillis) {
        await(store.append(new AppendRequest(topic, Stores.record(topic, seq, timestampMillis), key, Bodies.ackFor(topic, seq))));
    }

    private List<String> keptKeys(String topic, int upTo) {
        return IntStream.rangeClosed(1, upTo).mapToObj(i -> "k" + i)
                .filter(k -> store.idempotencyEntry(topic, k).isPresent()).toList();
    }

    @Test
    void aKeyIsDroppedOnlyWhenItIsBothOlderThanTheAgeLimitAndNotAmongTheNewestN() {
        // Shows: young keys are all kept however many there are; old keys are kept while among the
        // newest N; only keys past both bounds go, and the survivors survive a restart.
        reopen(1_000, 3);
        for (int i = 1; i <= 6; i++) {
            appendWithKey("/t", i, "k" + i, START_MILLIS + i);
        }
        clock.set(START_MILLIS + 500);
        store.applyRetention();
        assertThat(keptKeys("/t", 6)).containsExactly("k1", "k2", "k3", "k4", "k5", "k6");

        clock.set(START_MILLIS + 20_000);
        store.applyRetention();
        assertThat(keptKeys("/t", 6)).containsExactly("k4", "k5", "k6");

        appendWithKey("/t", 7, "k7", clock.getAsLong());
        store.applyRetention();
        assertThat(keptKeys("/t", 7)).containsExactly("k5", "k6", "k7");

        reopen(1_000, 3);
        assertThat(keptKeys("/t", 7)).containsExactly("k5", "k6", "k7");
        assertThat(store.idempotencyEntry("/t", "k6")).hasValueSatisfying(v -> assertThat(v).isEqualTo(Bodies.ackFor("/t", 6)));
        appendWithKey("/t", 8, "k8", clock.getAsLong());
        clock.advance(20_000);
        store.applyRetention();
        assertThat(keptKeys("/t", 8)).as("the count of keys is restored on reopen").containsExactly("k6", "k7", "k8");
    }

    @Test
    void keysAreCountedPerTopic() {
        // Shows: the newest-N bound is per topic: keys of a busy topic do not push out another's.
        reopen(1_000, 2);
        for (int i = 1; i <= 5; i++) {
            appendWithKey("/busy", i, "k" + i, START_MILLIS);
        }
        appendWithKey("/quiet", 1, "k1", START_MILLIS);
        clock.advance(10_000);
        store.applyRetention();
        assertThat(keptKeys("/busy", 5)).containsExactly("k4", "k5");
        assertThat(keptKeys("/quiet", 5)).containsExactly("k1");
    }

    @Test
    void aKeyWrittenAgainCountsOnceAndAgesFromItsNewestRecord() {
        // Shows: a rewritten key is one key, placed at its newest seq and time, so it outlives keys
        // written after its first use.
        reopen(1_000, 2);
        appendWithKey("/t", 1, "k1", START_MILLIS);
        appendWithKey("/t", 2, "k2", START_MILLIS);
        appendWithKey("/t", 3, "k1", START_MILLIS + 5_000);
        appendWithKey("/t", 4, "k3", START_MILLIS + 5_000);
        clock.set(START_MILLIS + 100_000);
        store.applyRetention();
        assertThat(keptKeys("/t", 3)).containsExactly("k1", "k3");
        assertThat(store.idempotencyEntry("/t", "k1")).hasValueSatisfying(v -> assertThat(v).isEqualTo(Bodies.ackFor("/t", 3)));
    }

    @Test
    void keysOutliveTheirRecords() {
        // Shows: trimming a record does not drop its key: the two retentions are independent.
        store = RocksHistoryStore.open(Stores.config(dir).withRetention(List.of(new RetentionRule("/", 1, 0, 0)))
                .withIdempotency(1_000, 100).withClockMillis(clock));
        appendWithKey("/t", 1, "k1", START_MILLIS);
        appendWithKey("/t", 2, "k2", START_MILLIS);
        store.applyRetention();
        assertThat(store.topic("/t")).contains(new TopicInfo("/t", 2, 2, 1));
        assertThat(keptKeys("/t", 2)).containsExactly("k1", "k2");
    }
}
