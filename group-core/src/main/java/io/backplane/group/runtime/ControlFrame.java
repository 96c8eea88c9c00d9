package io.backplane.group.runtime;

import java.util.List;

/**
 * Transport-level frames of discovery (docs/WIRE.md, "Transport control frames"): never handed to the
 * engine. They share the TCP framing with engine packets and are told apart by their first byte,
 * {@link ControlCodec#MARKER}.
 */
public sealed interface ControlFrame {
    /**
     * First frame of every connection, and sent again on open connections whenever the sender's address
     * book changes: who the sender is, its status, and every node it knows of.
     */
    record Hello(NodeInfo sender, MemberStatus status, List<NodeInfo> book) implements ControlFrame {
        public Hello {
            book = List.copyOf(book);
        }
    }

    /** The sender's status, gossiped periodically and at once when it changes. */
    record Status(MemberStatus status) implements ControlFrame {
    }
}
