package io.backplane.node.topic;

/**
 * Settings of the local topic service, validated once.
 *
 * @param lan                          this node's LAN, stamped on every envelope
 * @param nodeId                       this node's id, part of every message id
 * @param incarnation                  bumped at every start so message ids never repeat across restarts
 * @param maxInflightPosts             posts accepted but not yet durable; beyond it posts get 429
 * @param maxSubscriptionsPerConnection subscribe ops one connection may hold
 * @param replayChunkRecords           records read per replay step (bounds memory per subscriber)
 * @param replayChunkBytes             bytes read per replay step
 */
public record TopicServiceConfig(String lan, String nodeId, long incarnation, int maxInflightPosts,
                                 int maxSubscriptionsPerConnection, int replayChunkRecords, int replayChunkBytes) {
    public TopicServiceConfig {
        require(maxInflightPosts > 0, "maxInflightPosts must be > 0");
        require(maxSubscriptionsPerConnection > 0, "maxSubscriptionsPerConnection must be > 0");
        require(replayChunkRecords > 0, "replayChunkRecords must be > 0");
        require(replayChunkBytes > 0, "replayChunkBytes must be > 0");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
