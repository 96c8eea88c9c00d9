package io.backplane.history;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Deterministic record bodies and idempotency values, so a checker can recompute what was written. */
final class Bodies {
    private Bodies() {
    }

    /** 16 to 527 bytes, different for every (topic, seq). */
    static byte[] of(String topic, long seq) {
        SplittableRandom random = new SplittableRandom(topic.hashCode() * 1_000_003L + seq);
        byte[] body = new byte[16 + random.nextInt(512)];
        random.nextBytes(body);
        return body;
    }

    static byte[] sized(String topic, long seq, int length) {
        byte[] body = new byte[length];
        new SplittableRandom(topic.hashCode() * 1_000_003L + seq).nextBytes(body);
        return body;
    }

    static byte[] ackFor(String topic, long seq) {
        return ("ack " + topic + " " + seq).getBytes(StandardCharsets.UTF_8);
    }
}
