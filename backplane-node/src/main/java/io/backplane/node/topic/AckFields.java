package io.backplane.node.topic;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Reads {@code seq} and {@code timestamp} back from an acknowledgement envelope as {@link Envelopes}
 * writes it (fixed field order, no whitespace), without a JSON parser: topic and LAN names cannot
 * contain quotes, so the first {@code "seq":} and {@code "timestamp":"} are the envelope's own.
 */
final class AckFields {
    private AckFields() {
    }

    static long seq(byte[] ack) {
        String s = head(ack);
        int at = s.indexOf("\"seq\":");
        if (at < 0) {
            throw new IllegalArgumentException("no seq in a stored acknowledgement");
        }
        int i = at + 6;
        long v = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            v = v * 10 + (s.charAt(i++) - '0');
        }
        return v;
    }

    static long timestampMillis(byte[] ack) {
        String s = head(ack);
        int at = s.indexOf("\"timestamp\":\"");
        if (at < 0) {
            throw new IllegalArgumentException("no timestamp in a stored acknowledgement");
        }
        int end = s.indexOf('"', at + 13);
        return Instant.parse(s.substring(at + 13, end)).toEpochMilli();
    }

    private static String head(byte[] ack) {
        return new String(ack, 0, Math.min(ack.length, 512), StandardCharsets.UTF_8);
    }
}
