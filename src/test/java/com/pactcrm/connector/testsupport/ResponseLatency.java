package com.pactcrm.connector.testsupport;

import java.time.Duration;
import java.util.Random;

/**
 * How long a fake takes to answer, as a real CRM's round trip does: a fixed time, or a seeded random one in a
 * range. The fake counts the arrival first and delays only its answer, so limits see the request when it came.
 */
public final class ResponseLatency {

    private final long minMillis;
    private final long maxMillis;
    private final Random random;

    private ResponseLatency(long minMillis, long maxMillis, long seed) {
        if (minMillis < 0 || maxMillis < minMillis) {
            throw new IllegalArgumentException("latency range " + minMillis + "–" + maxMillis + " ms");
        }
        this.minMillis = minMillis;
        this.maxMillis = maxMillis;
        this.random = new Random(seed);
    }

    public static ResponseLatency fixed(Duration latency) {
        return new ResponseLatency(latency.toMillis(), latency.toMillis(), 0);
    }

    /** Uniform between {@code min} and {@code max}, e.g. a slow CRM at 100–400 ms. */
    public static ResponseLatency between(Duration min, Duration max, long seed) {
        return new ResponseLatency(min.toMillis(), max.toMillis(), seed);
    }

    public synchronized int nextMillis() {
        return (int) (minMillis + (maxMillis == minMillis ? 0 : random.nextLong(maxMillis - minMillis + 1)));
    }

    @Override
    public String toString() {
        return minMillis == maxMillis ? minMillis + " ms" : minMillis + "–" + maxMillis + " ms";
    }
}
