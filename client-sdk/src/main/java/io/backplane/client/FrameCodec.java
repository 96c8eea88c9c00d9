package io.backplane.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Encodes client ops and decodes server frames (CONTRACT.md §3, §5); the only wire code of the SDK. */
final class FrameCodec {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private FrameCodec() {
    }

    // ---------------------------------------------------------------- client → server

    static String subscribe(String id, String topicOrPattern, Replay replay) {
        ObjectNode op = NODES.objectNode().put("op", "subscribe").put("id", id).put("topic", topicOrPattern);
        switch (replay.kind()) {
            case NONE -> { }
            case FROM_SEQ -> op.putObject("replay").put("fromSeq", replay.value());
            case LAST -> op.putObject("replay").put("last", replay.value());
            case FROM_TIME -> op.putObject("replay").put("fromTime", replay.time().toString());
        }
        return op.toString();
    }

    static String unsubscribe(String id) {
        return NODES.objectNode().put("op", "unsubscribe").put("id", id).toString();
    }

    /** A post op; {@code payload} is a JSON value for JSON content types, else a text node. */
    static String post(String id, String topic, JsonNode payload, String contentType, String idempotencyKey) {
        ObjectNode op = NODES.objectNode().put("op", "post").put("id", id).put("topic", topic);
        op.set("payload", payload);
        if (contentType != null) {
            op.put("contentType", contentType);
        }
        op.put("idempotencyKey", idempotencyKey);
        return op.toString();
    }

    /** Parses a JSON body given as text; a malformed one is the caller's error ({@code bad-request}). */
    static JsonNode parseJsonPayload(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new BackplaneException("bad-request", "the payload is empty, which is not a JSON value");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new BackplaneException("bad-request", "the payload is not valid JSON: " + e.getOriginalMessage());
        }
    }

    // ---------------------------------------------------------------- server → client

    static ServerFrame parse(String text) {
        JsonNode frame;
        try {
            frame = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new BackplaneException("bad-frame", "the node sent a frame that is not JSON: " + e.getOriginalMessage());
        }
        String type = frame.path("type").asText("");
        return switch (type) {
            case "message" -> new ServerFrame.Delivery(frame.path("sub").asText(null),
                    message(frame.path("message"), frame.path("replay").asBoolean(false)));
            case "subscribed" -> new ServerFrame.Subscribed(frame.path("id").asText(null));
            case "unsubscribed" -> new ServerFrame.Unsubscribed(frame.path("id").asText(null));
            case "replay-complete" -> new ServerFrame.ReplayComplete(frame.path("sub").asText(null),
                    frame.path("topic").asText(null), frame.path("lastSeq").asLong());
            case "posted" -> new ServerFrame.PostedFrame(frame.path("id").asText(null), posted(frame.path("message")));
            case "error" -> new ServerFrame.Error(frame.path("id").asText(null), frame.path("error").asText("unknown"),
                    frame.path("message").asText(""));
            default -> new ServerFrame.Unknown(type);
        };
    }

    static Message message(JsonNode envelope, boolean replay) {
        return new Message(envelope.path("topic").asText(null), envelope.path("lan").asText(null),
                envelope.path("seq").asLong(), envelope.path("id").asText(null), instant(envelope.get("timestamp")),
                envelope.path("contentType").asText(null), envelope.get("payload"),
                "base64".equals(envelope.path("encoding").asText(null)), replay);
    }

    /** The envelope without payload of a {@code posted} frame or a REST 200/201, or a REST 202 answer. */
    static Posted posted(JsonNode ack) {
        boolean spooled = "spooled".equals(ack.path("status").asText(null));
        return new Posted(ack.path("topic").asText(null), ack.path("lan").asText(null), ack.path("seq").asLong(0),
                ack.path("id").asText(null), instant(ack.get("timestamp")), ack.path("contentType").asText(null), spooled);
    }

    private static Instant instant(JsonNode node) {
        if (node == null || !node.isTextual()) {
            return null;
        }
        try {
            return Instant.parse(node.textValue());
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
