package io.backplane.systest;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything a run observed, in the order it was recorded: the answer to every post attempt, every
 * message every subscriber received, and the faults injected. Times are nanoseconds since the trace
 * began. Thread-safe; the checker reads a {@link #snapshot()}.
 */
public final class Trace {
    /** No HTTP answer at all (timeout, refused connection, reset): the post may or may not have happened. */
    public static final int NO_ANSWER = 0;

    /**
     * One post attempt and its outcome. {@code status} is the HTTP status or {@link #NO_ANSWER};
     * {@code seq} and {@code id} are set for 2xx only; {@code error} is the error code or exception.
     */
    public record Answer(String publisher, String key, String topic, String node, long sentNanos,
                         long answeredNanos, int status, long seq, String id, String error) {
        public boolean acknowledged() {
            return status == 200 || status == 201;
        }

        /** A refusal that says the post was not applied (4xx other than 429), as opposed to "try again". */
        public boolean definiteRefusal() {
            return status >= 400 && status < 500 && status != 429;
        }
    }

    /** A key the publisher gave up on: none of its attempts was acknowledged before the retry deadline. */
    public record Abandoned(String publisher, String key, String topic, int attempts, long atNanos) { }

    /**
     * One message one subscriber received; {@code connection} counts the subscriber's (re)connections.
     * {@code replay} is the frame's flag (history rather than live). A message a relaying client posted
     * after it received message {@code causeSeq} of {@code causeTopic} names that cause (else null, 0).
     */
    public record Delivery(String subscriber, String node, int connection, String topic, long seq, String id,
                           long atNanos, boolean replay, String causeTopic, long causeSeq) {
        public Delivery(String subscriber, String node, int connection, String topic, long seq, String id, long atNanos) {
            this(subscriber, node, connection, topic, seq, id, atNanos, false, null, 0);
        }
    }

    /**
     * A subscriber's replay of {@code topic} on {@code connection} ended: its later messages there are live.
     * {@code deliveriesBefore} is how many deliveries (of all subscribers) the trace held when it was recorded,
     * which places it exactly among them.
     */
    public record ReplayComplete(String subscriber, int connection, String topic, long atNanos, int deliveriesBefore) { }

    /** A fault as injected: {@code kind} e.g. kill-9, sigstop, partition; {@code endNanos} when it was healed. */
    public record Fault(String kind, String node, long startNanos, long endNanos, String note) { }

    /**
     * A time during which {@code node} was outside the primary view for certain (isolated by a partition,
     * or paused and excluded by the others): it must not acknowledge a post sent to it in this window.
     */
    public record Outage(String node, long fromNanos, long toNanos, String why) { }

    /** A property the harness itself checks while running (e.g. one view within 30 s of the last fault). */
    public record HarnessFailure(String property, String message) { }

    /** An immutable copy of the trace, for the checker. */
    public record Snapshot(List<Answer> answers, List<Abandoned> abandoned, List<Delivery> deliveries,
                           List<ReplayComplete> replayCompletes, List<Fault> faults, List<Outage> outages,
                           List<HarnessFailure> harnessFailures) {
        public Snapshot {
            replayCompletes = List.copyOf(replayCompletes);
            answers = List.copyOf(answers);
            abandoned = List.copyOf(abandoned);
            deliveries = List.copyOf(deliveries);
            faults = List.copyOf(faults);
            outages = List.copyOf(outages);
            harnessFailures = List.copyOf(harnessFailures);
        }
    }

    private final long startNanos = System.nanoTime();
    private final List<Answer> answers = new ArrayList<>();
    private final List<Abandoned> abandoned = new ArrayList<>();
    private final List<Delivery> deliveries = new ArrayList<>();
    private final List<ReplayComplete> replayCompletes = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<Outage> outages = new ArrayList<>();
    private final List<HarnessFailure> harnessFailures = new ArrayList<>();

    public long nowNanos() {
        return System.nanoTime() - startNanos;
    }

    public synchronized void answer(Answer answer) {
        answers.add(answer);
    }

    public synchronized void abandoned(Abandoned a) {
        abandoned.add(a);
    }

    public synchronized void delivery(Delivery delivery) {
        deliveries.add(delivery);
    }

    /** Records that a subscriber's replay of a topic ended on a connection, after every delivery so far. */
    public synchronized void replayComplete(String subscriber, int connection, String topic) {
        replayCompletes.add(new ReplayComplete(subscriber, connection, topic, nowNanos(), deliveries.size()));
    }

    public synchronized void fault(Fault fault) {
        faults.add(fault);
    }

    public synchronized void outage(Outage outage) {
        outages.add(outage);
    }

    public synchronized void harnessFailure(String property, String message) {
        harnessFailures.add(new HarnessFailure(property, message));
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(answers, abandoned, deliveries, replayCompletes, faults, outages, harnessFailures);
    }

    /** "+12.345s": a trace time as the failure messages print it. */
    public static String at(long nanos) {
        return String.format("+%.3fs", nanos / 1e9);
    }
}
