package io.backplane.history;

import java.util.List;

/**
 * One bounded piece of a topic's history as the appends that recreate it elsewhere (records with the
 * idempotency keys stored with them), the seq to ask for next, and whether the range is exhausted.
 */
public record TransferChunk(String topic, List<AppendRequest> appends, long nextSeq, boolean last) {
    public TransferChunk {
        appends = List.copyOf(appends);
    }
}
