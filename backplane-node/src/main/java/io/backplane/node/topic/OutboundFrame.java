package io.backplane.node.topic;

import java.nio.charset.StandardCharsets;

/**
 * A frame queued for one websocket connection. Message frames carry the shared envelope bytes and
 * are wrapped per subscription on the connection's event loop, so the sequencing thread never
 * copies payloads.
 */
public sealed interface OutboundFrame {

    /** Bytes this frame will occupy on the wire, for the outbound buffer bound. */
    int sizeBytes();

    /** {@code {"type":"message","sub":…,"replay":…,"message":envelope}}. */
    record Delivery(byte[] subscriptionPrefix, boolean replay, byte[] envelope) implements OutboundFrame {
        private static final byte[] REPLAY_TRUE = "true,\"message\":".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] REPLAY_FALSE = "false,\"message\":".getBytes(StandardCharsets.US_ASCII);

        @Override
        public int sizeBytes() {
            return subscriptionPrefix.length + REPLAY_FALSE.length + envelope.length + 1;
        }

        /** Writes the whole frame into a new array. */
        public byte[] encode() {
            byte[] middle = replay ? REPLAY_TRUE : REPLAY_FALSE;
            byte[] out = new byte[subscriptionPrefix.length + middle.length + envelope.length + 1];
            System.arraycopy(subscriptionPrefix, 0, out, 0, subscriptionPrefix.length);
            System.arraycopy(middle, 0, out, subscriptionPrefix.length, middle.length);
            System.arraycopy(envelope, 0, out, subscriptionPrefix.length + middle.length, envelope.length);
            out[out.length - 1] = '}';
            return out;
        }

        /** The per-subscription prefix {@code {"type":"message","sub":"ID","replay":}. */
        public static byte[] prefixFor(String subscriptionId) {
            byte[] id = Payload.jsonString(subscriptionId);
            byte[] start = "{\"type\":\"message\",\"sub\":".getBytes(StandardCharsets.US_ASCII);
            byte[] end = ",\"replay\":".getBytes(StandardCharsets.US_ASCII);
            byte[] out = new byte[start.length + id.length + end.length];
            System.arraycopy(start, 0, out, 0, start.length);
            System.arraycopy(id, 0, out, start.length, id.length);
            System.arraycopy(end, 0, out, start.length + id.length, end.length);
            return out;
        }
    }

    /** Any other server frame, already encoded (subscribed, replay-complete, error, posted…). */
    record Control(String json) implements OutboundFrame {
        @Override
        public int sizeBytes() {
            return json.length();
        }
    }
}
