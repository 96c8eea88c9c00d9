package io.backplane.client;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The session's causal context (CONTRACT.md §6.2): per topic, the highest seq any handler of this
 * client has been handed.
 *
 * <p>On one node nothing needs to travel with a post: the node delivers a message only once it is
 * sequenced and durable, and every socket of a client talks to the same node ({@link Nodes}), so a post
 * sent after the handler returned is sequenced after every message handed to it, and each
 * subscriber's connection gets frames in sequencing order. This class is the hook for the cluster: a
 * node that does not own every topic's sequencer needs the context with the post (e.g. an
 * {@code "after":{topic:seq}} field) to hold the post until it has delivered those seqs.
 */
final class CausalContext {
    private final Map<String, Long> highestSeq = new ConcurrentHashMap<>();

    void observe(String topic, long seq) {
        highestSeq.merge(topic, seq, Math::max);
    }

    Map<String, Long> snapshot() {
        return Map.copyOf(highestSeq);
    }
}
