package io.backplane.wan;

/**
 * The frames of the WAN link protocol (docs/WIRE.md, "WAN link"). A sending spooler of LAN O
 * connects to a node of peer LAN L; O → L carries {@link Hello}, {@link Data} and heartbeats, L → O
 * carries {@link Welcome}, {@link Ack}, {@link Refuse} and heartbeats.
 */
public sealed interface WanFrame permits WanFrame.Hello, WanFrame.Welcome, WanFrame.Refuse, WanFrame.Data,
        WanFrame.Ack, WanFrame.Ping, WanFrame.Pong {

    /**
     * First frame of a connection: the sending LAN, the peer LAN it means to reach, and its sender
     * epoch. A receiver keeps the highest epoch per origin and refuses lower ones (a stale spooler is
     * fenced).
     */
    record Hello(String originLan, String targetLan, long epoch, String node) implements WanFrame {
    }

    /**
     * The receiver accepts: {@code appliedHint} is the highest spool seq of the origin its LAN has
     * applied as far as this node knows (a hint to skip resending; never a durable acknowledgement).
     */
    record Welcome(String lan, long appliedHint) implements WanFrame {
    }

    /** The receiver refuses the connection (stale epoch, wrong LAN, not serving); it closes next. */
    record Refuse(String reason) implements WanFrame {
    }

    /** One spooled post: spool seq, target topic (on the receiving LAN), its id, timestamp and payload parts. */
    record Data(long spoolSeq, String topic, String id, long timestampMillis, byte[] contentTypeJson,
                byte[] envelopeTail) implements WanFrame {
        public int sizeBytes() {
            return 64 + topic.length() + id.length() + contentTypeJson.length + envelopeTail.length;
        }
    }

    /** Cumulative and durable: every spool seq up to {@code through} is applied on a majority of the receiving LAN. */
    record Ack(long through) implements WanFrame {
    }

    /** Heartbeat; answered with a {@link Pong} carrying the same value. */
    record Ping(long value) implements WanFrame {
    }

    record Pong(long value) implements WanFrame {
    }
}
