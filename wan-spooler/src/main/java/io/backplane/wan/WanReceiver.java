package io.backplane.wan;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The receiving side of one inbound WAN connection, as a state machine without I/O. The glue feeds
 * it frames and completions on one thread and writes what it returns; a {@link Close} result ends the
 * connection.
 *
 * <p>Data frames are handed to the {@link WanApplier} strictly in spool order: the first one after
 * {@code Hello} sets the expectation, each later one must be the next seq; one behind it is a
 * retransmission of something already handed on (dropped here, counted), one ahead of it waits in a
 * bounded reorder buffer ({@value #AHEAD_MAX} frames) until the frames before it arrive — a frame
 * lost for good is resent by the sender, whose resend fills the gap. The decision that counts —
 * applied or duplicate — is the applier's. Acknowledgements are cumulative: {@code Ack(n)} once every
 * frame up to n of this connection completed.
 */
public final class WanReceiver {
    /** What the glue must do: write frames, and possibly close afterwards. */
    public record Result(List<WanFrame> frames, Close close) {
        static final Result NOTHING = new Result(List.of(), null);

        static Result send(WanFrame f) {
            return new Result(List.of(f), null);
        }
    }

    public record Close(String reason) {
    }

    /** Counters of one connection, summed by the owner for metrics. */
    public static final class Counters {
        public volatile long framesApplied;
        public volatile long duplicatesSuppressed;
        public volatile long outOfOrderDropped;
    }

    static final int AHEAD_MAX = 4096;

    private final WanApplier applier;
    private final TreeMap<Long, WanFrame.Data> ahead = new TreeMap<>();
    private final Counters counters;
    private String originLan;
    private long epoch;
    private long expected = -1;
    private long ackedThrough = -1;
    private long acknowledgedSent = -1;
    /** Completed seqs above {@link #ackedThrough} (completions may arrive out of order). */
    private final TreeMap<Long, Boolean> completed = new TreeMap<>();
    private boolean closed;

    public WanReceiver(WanApplier applier, Counters counters) {
        this.applier = applier;
        this.counters = counters;
    }

    public String originLan() {
        return originLan;
    }

    public long epoch() {
        return epoch;
    }

    /** Handles a frame from the sender. {@code onComplete} is how the glue gets completions back onto its thread. */
    public Result onFrame(WanFrame frame, CompletionSink onComplete) {
        if (closed) {
            return Result.NOTHING;
        }
        if (frame instanceof WanFrame.Hello h) {
            if (originLan != null) {
                return close("a second Hello on one connection");
            }
            if (!h.targetLan().equals(applier.lan())) {
                return refuse("this is LAN " + applier.lan() + ", not " + h.targetLan());
            }
            if (h.originLan().equals(applier.lan())) {
                return refuse("a LAN does not spool to itself");
            }
            String why = applier.admit(h.originLan(), h.epoch());
            if (why != null) {
                return refuse(why);
            }
            originLan = h.originLan();
            epoch = h.epoch();
            return Result.send(new WanFrame.Welcome(applier.lan(), applier.appliedHint(originLan)));
        }
        if (frame instanceof WanFrame.Ping p) {
            return Result.send(new WanFrame.Pong(p.value()));
        }
        if (frame instanceof WanFrame.Pong) {
            return Result.NOTHING;
        }
        if (originLan == null) {
            return close("a " + frame.getClass().getSimpleName() + " before Hello");
        }
        if (frame instanceof WanFrame.Data d) {
            return onData(d, onComplete);
        }
        return close("a sender does not send " + frame.getClass().getSimpleName());
    }

    /** Lets completions of the applier come back to the connection's thread, in any order. */
    public interface CompletionSink {
        void completed(long spoolSeq, WanApplier.Outcome outcome, Throwable failure);
    }

    private Result onData(WanFrame.Data d, CompletionSink onComplete) {
        if (expected < 0) {
            expected = d.spoolSeq();
            ackedThrough = d.spoolSeq() - 1;
        }
        if (d.spoolSeq() < expected) {
            counters.duplicatesSuppressed++; // already handed on over this connection
            return Result.NOTHING;
        }
        if (d.spoolSeq() > expected) {
            counters.outOfOrderDropped++; // ahead of a gap: kept until the gap fills (or the sender resends)
            if (ahead.size() < AHEAD_MAX) {
                ahead.putIfAbsent(d.spoolSeq(), d);
            }
            return Result.NOTHING;
        }
        handOn(d, onComplete);
        WanFrame.Data next;
        while ((next = ahead.remove(expected)) != null) {
            handOn(next, onComplete);
        }
        ahead.headMap(expected).clear();
        return Result.NOTHING;
    }

    private void handOn(WanFrame.Data d, CompletionSink onComplete) {
        expected++;
        long seq = d.spoolSeq();
        applier.apply(originLan, epoch, d).whenComplete((outcome, failure) -> onComplete.completed(seq, outcome, failure));
    }

    /** A completion from the applier, on the connection's thread. */
    public Result onCompleted(long spoolSeq, WanApplier.Outcome outcome, Throwable failure) {
        if (closed) {
            return Result.NOTHING;
        }
        if (failure != null) {
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof WanApplier.FencedException) {
                return refuse(cause.getMessage());
            }
            return close("spool seq " + spoolSeq + " not applied: " + cause.getMessage());
        }
        if (outcome == WanApplier.Outcome.APPLIED) {
            counters.framesApplied++;
        } else {
            counters.duplicatesSuppressed++;
        }
        completed.put(spoolSeq, Boolean.TRUE);
        while (!completed.isEmpty() && completed.firstKey() == ackedThrough + 1) {
            completed.pollFirstEntry();
            ackedThrough++;
        }
        if (ackedThrough > acknowledgedSent) {
            acknowledgedSent = ackedThrough;
            return Result.send(new WanFrame.Ack(ackedThrough));
        }
        return Result.NOTHING;
    }

    private Result refuse(String reason) {
        closed = true;
        return new Result(List.of(new WanFrame.Refuse(reason)), new Close(reason));
    }

    private Result close(String reason) {
        closed = true;
        return new Result(new ArrayList<>(), new Close(reason));
    }
}
