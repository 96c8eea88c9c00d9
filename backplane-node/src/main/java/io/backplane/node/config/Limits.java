package io.backplane.node.config;

/**
 * Every bound the front end and topic service enforce, with its default (STYLE.md habit 7).
 *
 * @param maxPayloadBytes               largest post body (413 beyond)
 * @param maxWebSocketMessageBytes      largest websocket message, all frames of it together
 * @param maxSubscriptionsPerConnection subscribe ops one websocket may hold
 * @param maxOutboundBytesPerConnection queued bytes to one websocket before it is a slow consumer
 * @param maxInflightPosts              posts accepted but not yet durable (429 beyond)
 * @param maxHistoryLimit               largest {@code limit} / {@code last} of a REST history read
 * @param maxReplayLast                 largest {@code last} of a websocket replay
 */
public record Limits(int maxPayloadBytes, int maxWebSocketMessageBytes, int maxSubscriptionsPerConnection,
                     long maxOutboundBytesPerConnection, int maxInflightPosts, int maxHistoryLimit,
                     int maxReplayLast) {

    public static final Limits DEFAULTS = new Limits(1024 * 1024, 1024 * 1024 + 64 * 1024, 1000,
            16L * 1024 * 1024, 50_000, 10_000, 1_000_000);

    public Limits {
        positive(maxPayloadBytes, "max-payload-bytes");
        positive(maxWebSocketMessageBytes, "max-websocket-message-bytes");
        positive(maxSubscriptionsPerConnection, "max-subscriptions-per-connection");
        positive(maxOutboundBytesPerConnection, "max-outbound-bytes-per-connection");
        positive(maxInflightPosts, "max-inflight-posts");
        positive(maxHistoryLimit, "max-history-limit");
        positive(maxReplayLast, "max-replay-last");
    }

    private static void positive(long value, String name) {
        if (value <= 0) {
            throw new ConfigException("limits." + name + " must be > 0, was " + value);
        }
    }
}
