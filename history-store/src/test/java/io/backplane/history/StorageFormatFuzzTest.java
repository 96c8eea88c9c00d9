package io.backplane.history;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The RocksDB key and value codec (StorageFormat). Keys: a (topic id, seq) key decodes to its parts,
 * and RocksDB's bytewise order of two keys is their numeric order (the store reads a topic as one
 * contiguous range, oldest first); an idempotency key of a topic sorts inside that topic's range.
 * Values: a message value read back from a damaged store either decodes or is refused with
 * {@link IllegalStateException} naming the seq — never an index error from deep inside a read.
 */
class StorageFormatFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void keys(FuzzedDataProvider data) {
        int topicA = data.consumeInt(1, Integer.MAX_VALUE - 1);
        int topicB = data.consumeBoolean() ? topicA : data.consumeInt(1, Integer.MAX_VALUE - 1);
        long seqA = data.consumeLong(0, Long.MAX_VALUE);
        long seqB = data.consumeLong(0, Long.MAX_VALUE);
        String key = data.consumeRemainingAsString();

        byte[] a = StorageFormat.seqKey(topicA, seqA);
        byte[] b = StorageFormat.seqKey(topicB, seqB);
        assertThat(StorageFormat.topicIdOf(a)).isEqualTo(topicA);
        assertThat(StorageFormat.seqOf(a)).isEqualTo(seqA);
        int numeric = topicA != topicB ? Integer.compare(topicA, topicB) : Long.compare(seqA, seqB);
        assertThat(Integer.signum(Arrays.compareUnsigned(a, b))).isEqualTo(Integer.signum(numeric));
        assertThat(Arrays.compareUnsigned(a, StorageFormat.topicEnd(topicA))).isNegative();

        byte[] idem = StorageFormat.idempotencyKey(topicA, key);
        assertThat(Arrays.compareUnsigned(idem, StorageFormat.topicIdValue(topicA))).isNotNegative();
        assertThat(Arrays.compareUnsigned(idem, StorageFormat.topicEnd(topicA))).isNegative();
    }

    @FuzzTest(maxDuration = "60s")
    void messageValue(FuzzedDataProvider data) {
        long seq = data.consumeLong(1, Long.MAX_VALUE);
        byte[] value = data.consumeRemainingAsBytes();
        HistoryRecord fromArray;
        try {
            fromArray = StorageFormat.decodeMessage(seq, value);
        } catch (IllegalStateException refused) {
            assertThat(refused).hasMessageContaining("seq " + seq);
            return;
        }
        HistoryRecord fromBuffer = StorageFormat.decodeMessage(seq, ByteBuffer.wrap(value), value.length);
        assertThat(fromBuffer.timestampMillis()).isEqualTo(fromArray.timestampMillis());
        assertThat(fromBuffer.body()).isEqualTo(fromArray.body());
        long running = StorageFormat.runningBodyBytes(value);
        assertThat(StorageFormat.messageValue(fromArray, running)).isEqualTo(value);
    }

    @FuzzTest(maxDuration = "60s")
    void idempotencyEntry(byte[] entry) {
        long seq;
        byte[] caller;
        try {
            seq = StorageFormat.idempotencySeq(entry);
            caller = StorageFormat.idempotencyCallerValue(entry);
        } catch (IllegalStateException refused) {
            assertThat(refused).hasMessageContaining("idempotency entry");
            return;
        }
        assertThat(StorageFormat.idempotencyValue(seq, caller)).isEqualTo(entry);
    }
}
