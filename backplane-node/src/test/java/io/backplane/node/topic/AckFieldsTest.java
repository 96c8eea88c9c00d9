package io.backplane.node.topic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AckFieldsTest {
    @Test
    void readsSeqAndTimestampBackFromAnAcknowledgement() {
        Payload p = Payload.fromBody("application/json", "{\"seq\":7,\"timestamp\":\"x\"}".getBytes());
        byte[] ack = Envelopes.ack("/A/B", "GENEVA", 123456789L, "GENEVA:n1:3-9", 1_795_000_000_123L, p);
        assertThat(AckFields.seq(ack)).isEqualTo(123456789L);
        assertThat(AckFields.timestampMillis(ack)).isEqualTo(1_795_000_000_123L);
    }
}
