package io.backplane.history;

import static io.backplane.history.Stores.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the WAN spooler needs of the store: marks written with their record, and trimming a spool. */
class WanSpoolSupportTest {
    @TempDir
    Path dir;
    private RocksHistoryStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private void reopen() {
        if (store != null) {
            store.close();
        }
        store = RocksHistoryStore.open(Stores.config(dir));
    }

    @Test
    void aMarkIsWrittenWithItsRecordAndSurvivesARestart() {
        reopen();
        assertThat(store.wanMarks()).isEmpty();
        await(store.append(new AppendRequest("/A", Stores.record("/A", 1, 10), null, null, new WanMark("GENEVA", 3, 1))));
        await(store.append(new AppendRequest("/B", Stores.record("/B", 1, 11), null, null, new WanMark("GENEVA", 3, 2))));
        await(store.append(new AppendRequest("/B", Stores.record("/B", 2, 12), null, null, new WanMark("TOKYO", 1, 7))));
        assertThat(store.wanMarks()).isEqualTo(Map.of("GENEVA", new WanMark("GENEVA", 3, 2), "TOKYO", new WanMark("TOKYO", 1, 7)));
        reopen();
        assertThat(store.wanMarks()).containsEntry("GENEVA", new WanMark("GENEVA", 3, 2)).hasSize(2);
        assertThat(store.topic("/B").orElseThrow().lastSeq()).isEqualTo(2);
    }

    @Test
    void putWanMarksOverwritesAndPersists() {
        reopen();
        store.putWanMarks(List.of(new WanMark("NY", 5, 40), new WanMark("LDN", 1, 2)));
        store.putWanMarks(List.of(new WanMark("NY", 6, 41)));
        reopen();
        assertThat(store.wanMarks()).isEqualTo(Map.of("NY", new WanMark("NY", 6, 41), "LDN", new WanMark("LDN", 1, 2)));
    }

    @Test
    void trimThroughRemovesOnlyTheAcknowledgedPrefixAndSeqsAreNotReused() {
        reopen();
        for (long seq = 1; seq <= 10; seq++) {
            await(store.append(AppendRequest.of("~wan/NY", Stores.record("~wan/NY", seq, 100 + seq))));
        }
        store.trimThrough("~wan/NY", 4);
        TopicInfo info = store.topic("~wan/NY").orElseThrow();
        assertThat(info.firstSeq()).isEqualTo(5);
        assertThat(info.count()).isEqualTo(6);
        assertThat(store.readFrom("~wan/NY", 1, 100)).extracting(HistoryRecord::seq).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
        store.trimThrough("~wan/NY", 2); // already gone: nothing changes
        assertThat(store.topic("~wan/NY").orElseThrow().firstSeq()).isEqualTo(5);
        store.trimThrough("~wan/NY", 99); // beyond the end: trims what it holds, the next seq stays 11
        assertThat(store.topic("~wan/NY").orElseThrow().count()).isZero();
        reopen();
        TopicInfo after = store.topic("~wan/NY").orElseThrow();
        assertThat(after.lastSeq()).isEqualTo(10);
        assertThat(after.count()).isZero();
        await(store.append(AppendRequest.of("~wan/NY", Stores.record("~wan/NY", 11, 200))));
        assertThat(store.readFrom("~wan/NY", 1, 10)).extracting(HistoryRecord::seq).containsExactly(11L);
    }
}
