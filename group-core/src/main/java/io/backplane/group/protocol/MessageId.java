package io.backplane.group.protocol;

/**
 * Globally unique id of a multicast: the sending incarnation and a counter that never repeats within
 * that incarnation (it does not restart with the view, so an id names one message for ever).
 */
public record MessageId(ProcessId sender, long seq) implements Comparable<MessageId> {
    @Override
    public int compareTo(MessageId o) {
        int c = sender.compareTo(o.sender);
        return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public String toString() {
        return sender + "#" + seq;
    }
}
