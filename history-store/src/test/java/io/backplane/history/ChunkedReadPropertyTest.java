package io.backplane.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Streaming a range in chunks, for any bounds: the chunks together are exactly readFrom over the range,
 * each chunk respects maxRecords and maxBytes (or is a single record), and no chunk stops early.
 */
class ChunkedReadPropertyTest {
    private static final String TOPIC = "/chunks";
    private static final long LAST_SEQ = 300;
    private static Path dir;
    private static RocksHistoryStore store;

    @BeforeContainer
    static void fill() {
        dir = Dirs.createTemp("chunks");
        store = RocksHistoryStore.open(Stores.config(dir));
        Stores.appendRange(store, TOPIC, 1, LAST_SEQ);
    }

    @AfterContainer
    static void close() {
        store.close();
        Dirs.deleteRecursively(dir);
    }

    @Property(tries = 300)
    void readingARangeChunkByChunkReturnsExactlyThatRange(
            @ForAll @LongRange(min = 0, max = LAST_SEQ + 20) long fromSeq,
            @ForAll @LongRange(min = 0, max = LAST_SEQ + 20) long toSeq,
            @ForAll @IntRange(min = 1, max = 40) int maxRecords,
            @ForAll @IntRange(min = 1, max = 6_000) int maxBytes) {
        List<HistoryRecord> streamed = new ArrayList<>();
        long next = fromSeq;
        for (long chunks = 0; ; chunks++) {
            assertThat(chunks).as("chunks needed").isLessThanOrEqualTo(LAST_SEQ + 1);
            HistoryChunk chunk = store.readChunk(TOPIC, next, toSeq, maxRecords, maxBytes);
            List<HistoryRecord> records = chunk.records();
            long bytes = records.stream().mapToLong(r -> r.body().length).sum();
            assertThat(records.size()).isLessThanOrEqualTo(maxRecords);
            assertThat(bytes <= maxBytes || records.size() == 1).as("%s bytes in %s records", bytes, records.size()).isTrue();
            if (!records.isEmpty()) {
                assertThat(records.get(0).seq()).isEqualTo(Math.max(next, 1));
                assertThat(chunk.nextSeq()).isEqualTo(records.get(records.size() - 1).seq() + 1);
            }
            if (!chunk.last()) {
                assertThat(records).as("a chunk that is not the last makes progress").isNotEmpty();
                if (records.size() < maxRecords) {
                    long nextBody = Bodies.of(TOPIC, chunk.nextSeq()).length;
                    assertThat(bytes + nextBody).as("stopped early").isGreaterThan(maxBytes);
                }
            }
            streamed.addAll(records);
            next = chunk.nextSeq();
            if (chunk.last()) {
                break;
            }
        }
        List<HistoryRecord> expected = store.readFrom(TOPIC, fromSeq, Integer.MAX_VALUE).stream()
                .filter(r -> r.seq() <= toSeq).toList();
        assertThat(streamed).extracting(HistoryRecord::seq).containsExactlyElementsOf(
                expected.stream().map(HistoryRecord::seq).toList());
        assertThat(streamed).extracting(HistoryRecord::seq).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(Math.max(fromSeq, 1), Math.min(toSeq, LAST_SEQ)).boxed().toList());
        for (HistoryRecord record : streamed) {
            assertThat(record.body()).isEqualTo(Bodies.of(TOPIC, record.seq()));
        }
    }
}
