package io.backplane.history;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A wall clock the test moves by hand (epoch millis). */
final class ManualClock implements LongSupplier {
    private final AtomicLong nowMillis;

    ManualClock(long startMillis) {
        this.nowMillis = new AtomicLong(startMillis);
    }

    @Override
    public long getAsLong() {
        return nowMillis.get();
    }

    void set(long millis) {
        nowMillis.set(millis);
    }

    void advance(long millis) {
        nowMillis.addAndGet(millis);
    }
}
