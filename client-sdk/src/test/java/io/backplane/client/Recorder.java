package io.backplane.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A handler that records what it is handed and checks, per topic, that seqs are consecutive from the
 * first one: every violation is kept, so a test can assert there was none.
 */
final class Recorder implements MessageHandler {
    private final List<Message> messages = new ArrayList<>();
    private final Map<String, Long> lastSeq = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private final boolean keepMessages;
    private int count;

    Recorder() {
        this(true);
    }

    /** With {@code keepMessages} false only seqs are kept, for tests that count big payloads. */
    Recorder(boolean keepMessages) {
        this.keepMessages = keepMessages;
    }

    @Override
    public synchronized void onMessage(Message m) {
        Long last = lastSeq.get(m.topic());
        if (last != null && m.seq() != last + 1) {
            violations.add(m.topic() + ": seq " + m.seq() + " after " + last);
        }
        lastSeq.put(m.topic(), m.seq());
        count++;
        if (keepMessages) {
            messages.add(m);
        }
        notifyAll();
    }

    synchronized List<Message> messages() {
        return new ArrayList<>(messages);
    }

    synchronized List<String> violations() {
        return new ArrayList<>(violations);
    }

    synchronized long lastSeq(String topic) {
        return lastSeq.getOrDefault(topic, 0L);
    }

    synchronized int count() {
        return count;
    }

    /** Waits (bounded) until the recorded messages satisfy {@code done}; fails with what it has. */
    synchronized void await(Predicate<List<Message>> done, long timeoutMillis, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!done.test(messages)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("timed out waiting for " + what + "; have " + count + " messages, last seqs " + lastSeq);
            }
            wait(left);
        }
    }

    void awaitCount(int n, long timeoutMillis) throws InterruptedException {
        await(list -> count >= n, timeoutMillis, n + " messages");
    }

    void awaitLastSeq(String topic, long seq, long timeoutMillis) throws InterruptedException {
        await(list -> lastSeq.getOrDefault(topic, 0L) >= seq, timeoutMillis, topic + " up to seq " + seq);
    }
}
