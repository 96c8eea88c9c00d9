package io.backplane.wan;

/**
 * The frames of the WAN link protocol (docs/WIRE.md, "WAN link"). A sending spooler of LAN O
 * connects to a node of peer LAN L; O → L carries {@link Hello}, {@link Data} and heartbeats, L → O
 * carries {@link Welcome}, {@link Ack}, {@link Refuse} and heartbeats.
 *
 * <p>Remote subscriptions ride the same connection the other way: once welcomed, O asks L for the
 * topics matching a pattern ({@link MirrorSubscribe}) and L streams their messages back
 * ({@link MirrorData}) until the connection closes or L ends the stream ({@link MirrorEnd}).
 */
public sealed interface WanFrame permits WanFrame.Hello, WanFrame.Welcome, WanFrame.Refuse, WanFrame.Data,
        WanFrame.Ack, WanFrame.Ping, WanFrame.Pong, WanFrame.MirrorSubscribe, WanFrame.MirrorData,
        WanFrame.MirrorEnd {

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

    /** Where a mirrored topic resumes: the next seq the subscribing LAN's mirror lacks. */
    record Resume(String topic, long fromSeq) {
    }

    /**
     * O → L: stream every topic of L matching {@code pattern} (a pattern or a topic of L, without
     * {@code @LAN}): the topics named in {@code resume} from their {@code fromSeq}, every other one from
     * its first retained message, then live. Idempotent per connection: the same pattern again is ignored.
     */
    record MirrorSubscribe(String pattern, java.util.List<Resume> resume) implements WanFrame {
        public MirrorSubscribe {
            resume = java.util.List.copyOf(resume);
        }
    }

    /**
     * L → O: one message of L's {@code topic} as L stores it ({@code envelope}, the full JSON envelope,
     * with L's seq and id). {@code requestedFrom} is 0, except on the first message of a topic in a stream,
     * where it is the seq the stream was asked to start at: a first message with a higher seq means L's
     * retention removed the ones between, so the mirror may skip over them — and only then.
     */
    record MirrorData(String topic, long seq, long requestedFrom, byte[] envelope) implements WanFrame {
        public int sizeBytes() {
            return 32 + topic.length() + envelope.length;
        }
    }

    /** L → O: the stream of {@code pattern} ended (L stopped serving, or refused it); O may ask again later. */
    record MirrorEnd(String pattern, String reason) implements WanFrame {
    }
}
