package io.backplane.node.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Replication messages are decoded on the topic service's sequencer thread, which must never die of
 * one. For any bytes the decoder either refuses with {@link IllegalArgumentException} (the replicator
 * logs and drops it) or returns a message whose encoding is a fixed point of decode-then-encode.
 */
class ReplicationMessageFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] input) {
        ReplicationMessage m;
        try {
            m = ReplicationMessage.decode(input);
        } catch (IllegalArgumentException refused) {
            return;
        }
        byte[] canonical = ReplicationMessage.encode(m);
        assertThat(ReplicationMessage.encode(ReplicationMessage.decode(canonical))).isEqualTo(canonical);
    }
}
