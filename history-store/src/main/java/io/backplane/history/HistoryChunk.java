package io.backplane.history;

import java.util.List;

/**
 * One bounded piece of a streamed range: the records, the seq to ask for next, and whether the
 * requested range is exhausted. This is the unit state transfer will ship to a joining node.
 */
public record HistoryChunk(String topic, List<HistoryRecord> records, long nextSeq, boolean last) {
}
