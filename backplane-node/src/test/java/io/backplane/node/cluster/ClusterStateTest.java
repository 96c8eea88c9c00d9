package io.backplane.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStateTest {
    @TempDir
    Path dir;

    @Test
    void eraAndPromiseSurviveARestartAndAPromiseNeverGoesDown() {
        ClusterState s = ClusterState.open(dir);
        assertThat(s.era()).isZero();
        assertThat(s.promised()).isZero();
        s.promise(3);
        s.promise(2); // lower: ignored
        assertThat(s.promised()).isEqualTo(3);
        assertThat(s.era()).isZero(); // a promise is not a history
        ClusterState reopened = ClusterState.open(dir);
        assertThat(reopened.promised()).isEqualTo(3);
        assertThat(reopened.era()).isZero();
        reopened.setEra(3);
        reopened.setEra(4); // an era holds its own promise
        ClusterState again = ClusterState.open(dir);
        assertThat(again.era()).isEqualTo(4);
        assertThat(again.promised()).isEqualTo(4);
    }

    @Test
    void aFileThatIsNotOursIsRefusedWithItsName() throws Exception {
        Files.writeString(dir.resolve(ClusterState.FILE), "hello\n");
        assertThatThrownBy(() -> ClusterState.open(dir)).hasMessageContaining(ClusterState.FILE);
    }
}
