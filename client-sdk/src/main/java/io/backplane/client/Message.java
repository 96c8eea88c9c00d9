package io.backplane.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;

/**
 * One message as a subscriber receives it: the envelope of CONTRACT.md §3 plus whether it came from
 * history ({@link #isReplay()}). Immutable; the payload is decoded on demand.
 */
public final class Message {
    private final String topic;
    private final String lan;
    private final long seq;
    private final String id;
    private final Instant timestamp;
    private final String contentType;
    private final JsonNode payload;
    private final boolean base64;
    private final boolean replay;

    Message(String topic, String lan, long seq, String id, Instant timestamp, String contentType,
            JsonNode payload, boolean base64, boolean replay) {
        this.topic = topic;
        this.lan = lan;
        this.seq = seq;
        this.id = id;
        this.timestamp = timestamp;
        this.contentType = contentType;
        this.payload = payload;
        this.base64 = base64;
        this.replay = replay;
    }

    /** The topic, e.g. {@code /GENEVA/QUOTES/IBM}. */
    public String topic() {
        return topic;
    }

    /** The LAN the topic lives on. */
    public String lan() {
        return lan;
    }

    /** The message's place in its topic: starts at 1, gapless, never reused. */
    public long seq() {
        return seq;
    }

    /** The id, unique across all LANs and the same on every LAN the message reaches. */
    public String id() {
        return id;
    }

    /** When the node sequenced the message; never decreases within a topic. */
    public Instant timestamp() {
        return timestamp;
    }

    /** The content type the message was posted with. */
    public String contentType() {
        return contentType;
    }

    /** True when the message was sent as part of the subscription's replay of history. */
    public boolean isReplay() {
        return replay;
    }

    /**
     * The payload as text: the JSON text of a JSON payload (e.g. {@code {"bid":101.5}}), the text of a
     * text payload, or the bytes of a base64 payload decoded as UTF-8 (lossy).
     */
    public String payloadAsString() {
        if (payload == null || payload.isMissingNode()) {
            return "";
        }
        if (base64) {
            return new String(payloadAsBytes(), StandardCharsets.UTF_8);
        }
        if (isJsonType(contentType) || !payload.isTextual()) {
            return payload.toString();
        }
        return payload.textValue();
    }

    /** The payload as bytes: decoded base64, or the UTF-8 bytes of {@link #payloadAsString()}. */
    public byte[] payloadAsBytes() {
        if (base64 && payload != null && payload.isTextual()) {
            return Base64.getDecoder().decode(payload.textValue());
        }
        return payloadAsString().getBytes(StandardCharsets.UTF_8);
    }

    /** The payload as a Jackson tree (a text node for text and base64 payloads). */
    public JsonNode payloadAsJson() {
        return payload;
    }

    static boolean isJsonType(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.toLowerCase(Locale.ROOT);
        int semicolon = type.indexOf(';');
        if (semicolon >= 0) {
            type = type.substring(0, semicolon);
        }
        type = type.trim();
        return type.equals("application/json") || type.endsWith("+json");
    }

    @Override
    public String toString() {
        return "Message[" + topic + " seq=" + seq + " id=" + id + (replay ? " replay" : "") + "]";
    }
}
