package io.backplane.node.wan;

import io.backplane.history.HistoryRecord;
import io.backplane.node.topic.Payload;
import io.backplane.wan.WanFrame;
import java.nio.charset.StandardCharsets;

/**
 * How a post to {@code T@L} is kept in this LAN's spool for {@code L}: an internal topic
 * {@code ~wan/L}, replicated and acknowledged like any topic, whose name no client can use (topic
 * names start with '/'; '~' is not a segment character), that no listing or pattern shows and that
 * retention (rules are '/' prefixes) never trims. Its records are ordinary envelopes of that topic
 * with one added field, {@code "target":"T"}, before the original content type and payload; the
 * record's id is the id the message keeps on {@code L}, its seq is the spool seq.
 */
public final class SpoolFormat {
    public static final String PREFIX = "~wan/";
    private static final byte[] TARGET_FIELD = "\"target\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_TYPE_FIELD = "\"contentType\":".getBytes(StandardCharsets.US_ASCII);

    private SpoolFormat() {
    }

    public static String spoolTopic(String peerLan) {
        return PREFIX + peerLan;
    }

    /** Internal topics (spools) never start with '/'; client topics always do. */
    public static boolean isInternal(String topic) {
        return !topic.startsWith("/");
    }

    /** The spool's payload for a post to {@code target}: the post's own, with the target in front. */
    public static Payload spoolPayload(String target, Payload post) {
        byte[] t = target.getBytes(StandardCharsets.US_ASCII); // topic names are ASCII by the naming rules
        byte[] tail = post.envelopeTail();
        byte[] out = new byte[TARGET_FIELD.length + t.length + 2 + tail.length];
        int p = 0;
        System.arraycopy(TARGET_FIELD, 0, out, p, TARGET_FIELD.length);
        p += TARGET_FIELD.length;
        System.arraycopy(t, 0, out, p, t.length);
        p += t.length;
        out[p++] = '"';
        out[p++] = ',';
        System.arraycopy(tail, 0, out, p, tail.length);
        return Payload.fromEncoded(post.contentTypeJson(), out);
    }

    /** The idempotency key a spool keeps for a client's key on {@code target} (keys are per target topic). */
    public static String spoolKey(String target, String key) {
        return key == null ? null : target + " " + key;
    }

    /** The data frame that ships a spool record. */
    public static WanFrame.Data toFrame(HistoryRecord r) {
        byte[] b = r.body();
        String head = new String(b, 0, Math.min(b.length, 2048), StandardCharsets.ISO_8859_1);
        int idAt = head.indexOf("\"id\":\"");
        int targetAt = head.indexOf(",\"target\":\"");
        if (idAt < 0 || targetAt < 0) {
            throw new IllegalStateException("spool record " + r.seq() + " has no id or target");
        }
        String id = head.substring(idAt + 6, head.indexOf('"', idAt + 6));
        int targetStart = targetAt + 11;
        int targetEnd = head.indexOf('"', targetStart);
        String target = head.substring(targetStart, targetEnd);
        int tailStart = targetEnd + 2; // after '",'
        byte[] tail = java.util.Arrays.copyOfRange(b, tailStart, b.length - 1); // without the closing '}'
        return new WanFrame.Data(r.seq(), target, id, r.timestampMillis(), contentTypeJson(tail), tail);
    }

    /** The content type's JSON string at the start of an envelope tail ({@code "contentType":"…",…}). */
    static byte[] contentTypeJson(byte[] tail) {
        for (int i = 0; i < CONTENT_TYPE_FIELD.length; i++) {
            if (tail.length <= i || tail[i] != CONTENT_TYPE_FIELD[i]) {
                throw new IllegalStateException("spool record tail does not start with a content type");
            }
        }
        int start = CONTENT_TYPE_FIELD.length;
        if (tail[start] != '"') {
            throw new IllegalStateException("spool record content type is not a JSON string");
        }
        int i = start + 1;
        while (i < tail.length && tail[i] != '"') {
            i += tail[i] == '\\' ? 2 : 1;
        }
        return java.util.Arrays.copyOfRange(tail, start, i + 1);
    }

    /** The 202 answer to a spooled post, from the spool record's acknowledgement (which carries its id). */
    public static byte[] spooledAnswer(String target, String peerLan, byte[] spoolAck) {
        String ack = new String(spoolAck, StandardCharsets.ISO_8859_1);
        int idAt = ack.indexOf("\"id\":\"");
        String id = ack.substring(idAt + 6, ack.indexOf('"', idAt + 6));
        return ("{\"topic\":\"" + target + "\",\"lan\":\"" + peerLan + "\",\"id\":\"" + id + "\",\"status\":\"spooled\"}")
                .getBytes(StandardCharsets.US_ASCII);
    }
}
