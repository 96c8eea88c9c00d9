package io.backplane.history;

/**
 * A topic's history bounds. {@code firstSeq..lastSeq} are retained; {@code count} is their number
 * (0 when retention has trimmed everything, in which case firstSeq == lastSeq + 1).
 */
public record TopicInfo(String topic, long firstSeq, long lastSeq, long count) {
}
