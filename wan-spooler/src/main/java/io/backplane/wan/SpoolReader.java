package io.backplane.wan;

import java.util.List;

/** What a sender reads: the spool's entries that may be shipped (durable on a majority of this LAN). */
public interface SpoolReader {
    /** Up to {@code maxEntries} shippable entries with spool seq >= fromSeq, in seq order; empty when none. */
    List<WanFrame.Data> read(long fromSeq, int maxEntries);

    /** The spool's first retained seq (everything before it was acknowledged by the peer and trimmed). */
    long firstSeq();
}
