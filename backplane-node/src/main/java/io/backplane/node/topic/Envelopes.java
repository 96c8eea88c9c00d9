package io.backplane.node.topic;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.Instant;

/**
 * Encodes the message envelope of CONTRACT.md §3 as bytes. Topic, LAN and id are restricted to
 * JSON-safe characters by the naming rules, so they are copied without escaping; the content type
 * and payload arrive pre-encoded in a {@link Payload}.
 */
public final class Envelopes {
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Envelopes() {
    }

    /** The stored and delivered envelope, payload included. */
    public static byte[] full(String topic, String lan, long seq, String id, long timestampMillis, Payload payload) {
        return build(topic, lan, seq, id, timestampMillis, payload.envelopeTail(), false);
    }

    /** The envelope returned to a publisher: everything but the payload. */
    public static byte[] ack(String topic, String lan, long seq, String id, long timestampMillis, Payload payload) {
        return build(topic, lan, seq, id, timestampMillis, payload.contentTypeJson(), true);
    }

    /** The fields an envelope starts with, as {@link #full} writes them. */
    public record Head(String topic, String lan, long seq, String id, String timestamp) {
    }

    /**
     * Reads the head of an envelope {@link #full} wrote (its field order is fixed: topic, lan, seq, id,
     * timestamp), without parsing the payload.
     *
     * @throws IllegalArgumentException when the bytes do not start like one
     */
    public static Head head(byte[] envelope) {
        int[] at = {0};
        String topic = field(envelope, at, "{\"topic\":\"", '"');
        String lan = field(envelope, at, "\",\"lan\":\"", '"');
        String seqText = field(envelope, at, "\",\"seq\":", ',');
        String id = field(envelope, at, ",\"id\":\"", '"');
        String timestamp = field(envelope, at, "\",\"timestamp\":\"", '"');
        long seq;
        try {
            seq = Long.parseLong(seqText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("envelope seq '" + seqText + "' is not a number");
        }
        return new Head(topic, lan, seq, id, timestamp);
    }

    private static String field(byte[] b, int[] at, String prefix, char end) {
        int p = at[0];
        for (int i = 0; i < prefix.length(); i++, p++) {
            if (p >= b.length || b[p] != prefix.charAt(i)) {
                throw new IllegalArgumentException("not an envelope: expected " + prefix + " at byte " + at[0]);
            }
        }
        int start = p;
        while (p < b.length && b[p] != end && p - start <= 300) {
            p++;
        }
        if (p >= b.length || b[p] != end) {
            throw new IllegalArgumentException("not an envelope: field after " + prefix + " does not end");
        }
        at[0] = p;
        return new String(b, start, p - start, StandardCharsets.US_ASCII);
    }

    public static String formatTimestamp(long epochMillis) {
        return TIMESTAMP.format(Instant.ofEpochMilli(epochMillis));
    }

    private static byte[] build(String topic, String lan, long seq, String id, long timestampMillis,
                                byte[] tail, boolean tailIsContentTypeOnly) {
        StringBuilder head = new StringBuilder(96 + topic.length());
        head.append("{\"topic\":\"").append(topic)
                .append("\",\"lan\":\"").append(lan)
                .append("\",\"seq\":").append(seq)
                .append(",\"id\":\"").append(id)
                .append("\",\"timestamp\":\"").append(formatTimestamp(timestampMillis))
                .append(tailIsContentTypeOnly ? "\",\"contentType\":" : "\",");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[headBytes.length + tail.length + 1];
        System.arraycopy(headBytes, 0, out, 0, headBytes.length);
        System.arraycopy(tail, 0, out, headBytes.length, tail.length);
        out[out.length - 1] = '}';
        return out;
    }
}
