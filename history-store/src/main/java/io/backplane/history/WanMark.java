package io.backplane.history;

/**
 * A WAN receiver's high-water mark for one origin LAN: the highest sender {@code epoch} seen and the
 * highest spool seq applied from that LAN ({@code spoolSeq}). Written in the same atomic batch as the
 * message that applied {@code spoolSeq}, so after any crash the mark and the history agree: a spool
 * entry is either applied and marked, or neither, and a retransmission is recognised without any time
 * window.
 */
public record WanMark(String originLan, long epoch, long spoolSeq) {
    public WanMark {
        if (originLan == null || originLan.isEmpty()) {
            throw new IllegalArgumentException("originLan must not be empty");
        }
        if (epoch < 0 || spoolSeq < 0) {
            throw new IllegalArgumentException("epoch and spoolSeq must be >= 0");
        }
    }
}
