package io.backplane.node.topic;

import java.nio.charset.StandardCharsets;

/** Encoders for the server → client websocket frames of CONTRACT.md §5 (other than messages). */
public final class Frames {
    private Frames() {
    }

    public static OutboundFrame.Control subscribed(String id) {
        return new OutboundFrame.Control("{\"type\":\"subscribed\",\"id\":" + str(id) + "}");
    }

    public static OutboundFrame.Control unsubscribed(String id) {
        return new OutboundFrame.Control("{\"type\":\"unsubscribed\",\"id\":" + str(id) + "}");
    }

    public static OutboundFrame.Control replayComplete(String subscriptionId, String topic, long lastSeq) {
        return new OutboundFrame.Control("{\"type\":\"replay-complete\",\"sub\":" + str(subscriptionId)
                + ",\"topic\":" + str(topic) + ",\"lastSeq\":" + lastSeq + "}");
    }

    /** An error frame; {@code id} may be null when the frame answers no particular request. */
    public static OutboundFrame.Control error(String id, String code, String message) {
        return new OutboundFrame.Control("{\"type\":\"error\"" + (id == null ? "" : ",\"id\":" + str(id))
                + ",\"error\":" + str(code) + ",\"message\":" + str(message) + "}");
    }

    /** A post's answer; {@code id} is omitted when the post op carried none. */
    public static OutboundFrame.Control posted(String id, byte[] ackJson) {
        return new OutboundFrame.Control("{\"type\":\"posted\"" + (id == null ? "" : ",\"id\":" + str(id))
                + ",\"message\":" + new String(ackJson, StandardCharsets.UTF_8) + "}");
    }

    private static String str(String s) {
        return new String(Payload.jsonString(s), StandardCharsets.UTF_8);
    }
}
