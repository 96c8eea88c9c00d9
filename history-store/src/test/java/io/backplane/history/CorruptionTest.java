package io.backplane.history;

import static io.backplane.history.AppendAndReadTest.seqs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorruptionTest {
    @TempDir
    Path dir;

    /** Deletes one record behind the store's back, as a lost write or a bad repair would. */
    private void punchHole(long seq) throws Exception {
        try (RocksHandles rocks = RocksHandles.open(dir)) {
            int topicId = 1;
            rocks.db.delete(rocks.messages, StorageFormat.seqKey(topicId, seq));
        }
    }

    @Test
    void aHoleInAHistoryIsReportedAndNeverServedAsIfItWereGapless() throws Exception {
        // Shows: the always-on run check of range reads: a missing record inside the range read
        // (in the middle, at the stopping point, or at the end) fails the read instead of returning
        // records under the wrong seqs; reads that stop before the hole still work.
        try (RocksHistoryStore store = RocksHistoryStore.open(Stores.config(dir))) {
            Stores.appendRange(store, "/t", 1, 20);
        }
        punchHole(10);
        try (RocksHistoryStore store = RocksHistoryStore.open(Stores.config(dir))) {
            assertThat(store.readFrom("/t", 1, 9)).extracting(HistoryRecord::seq).containsExactly(seqs(1, 9));
            assertThatThrownBy(() -> store.readFrom("/t", 1, 100)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("history of /t has a hole");
            assertThatThrownBy(() -> store.readFrom("/t", 5, 10)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has a hole");
            assertThatThrownBy(() -> store.readChunk("/t", 8, 12, 100, 1 << 20)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> store.readLast("/t", 15)).isInstanceOf(IllegalStateException.class);
            assertThat(store.readFrom("/t", 11, 100)).extracting(HistoryRecord::seq).containsExactly(seqs(11, 20));
        }
    }

    @Test
    void aDirectoryWrittenInAnotherFormatIsRefusedNotMisread() throws Exception {
        // Shows: the format version in meta is checked on open; a mismatch is a clear operating error.
        try (RocksHistoryStore store = RocksHistoryStore.open(Stores.config(dir))) {
            Stores.appendRange(store, "/t", 1, 2);
        }
        try (RocksHandles rocks = RocksHandles.open(dir)) {
            rocks.db.put(rocks.meta, StorageFormat.metaKey(StorageFormat.META_FORMAT, 0), new byte[] {1});
        }
        assertThatThrownBy(() -> RocksHistoryStore.open(Stores.config(dir))).isInstanceOf(HistoryStoreException.class)
                .hasMessageContaining("data directory " + dir + " holds history format 1, this build reads 2");
    }
}
