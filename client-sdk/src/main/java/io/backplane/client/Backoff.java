package io.backplane.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: initial × 2^attempt, capped, then scaled by a random 50–100 %. */
final class Backoff {
    private final long initialMillis;
    private final long maxMillis;

    Backoff(Duration initial, Duration max) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
    }

    long delayMillis(int attempt) {
        long base = attempt >= 30 ? maxMillis : Math.min(maxMillis, initialMillis << attempt);
        return base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    }
}
