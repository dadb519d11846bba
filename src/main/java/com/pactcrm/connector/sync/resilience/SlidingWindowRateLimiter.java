package com.pactcrm.connector.sync.resilience;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Exact sliding-window limiter: it remembers the instants of recent calls, so no window of any
 * limit's length ever holds more calls than the limit allows. Fixed-window counters can let twice
 * the limit through across a window boundary, which is how an amoCRM account gets blocked.
 */
public final class SlidingWindowRateLimiter {

    /**
     * A call exactly one period ago still counts: a receiver that measures closed windows must not
     * see one call too many.
     */
    private static final Duration MARGIN = Duration.ofMillis(1);

    private final List<RateLimit> limits;
    private final Clock clock;
    private final ArrayDeque<Instant> recent = new ArrayDeque<>();
    private final Duration longest;
    private final int largestPermits;
    private Instant pausedUntil = Instant.MIN;

    public SlidingWindowRateLimiter(List<RateLimit> limits, Clock clock) {
        this.limits = List.copyOf(limits);
        this.clock = clock;
        this.longest = limits.stream().map(RateLimit::period).max(Duration::compareTo).orElseThrow().plus(MARGIN);
        this.largestPermits = limits.stream().mapToInt(RateLimit::permits).max().orElseThrow();
    }

    /**
     * Takes a permit if one is free now.
     *
     * @return {@link Duration#ZERO} when the permit was taken, otherwise how long until one may be free
     */
    public synchronized Duration tryAcquire() {
        Instant now = clock.instant();
        if (now.isBefore(pausedUntil)) {
            return Duration.between(now, pausedUntil);
        }
        forgetOlderThan(now.minus(longest));
        Duration wait = Duration.ZERO;
        for (RateLimit limit : limits) {
            Duration w = waitFor(limit, now);
            if (w.compareTo(wait) > 0) {
                wait = w;
            }
        }
        if (wait.isZero()) {
            recent.addLast(now);
            while (recent.size() > largestPermits) {
                recent.removeFirst();
            }
        }
        return wait;
    }

    /** The target said "too many requests": nobody gets a permit before {@code until}. */
    public synchronized void pauseUntil(Instant until) {
        if (until.isAfter(pausedUntil)) {
            pausedUntil = until;
        }
    }

    public List<RateLimit> limits() {
        return limits;
    }

    private Duration waitFor(RateLimit limit, Instant now) {
        if (recent.size() < limit.permits()) {
            return Duration.ZERO;
        }
        // The call that must leave the window before another may enter it.
        Instant blocking = nthNewest(limit.permits());
        Instant free = blocking.plus(limit.period()).plus(MARGIN);
        return free.isAfter(now) ? Duration.between(now, free) : Duration.ZERO;
    }

    private Instant nthNewest(int n) {
        var it = recent.descendingIterator();
        Instant at = null;
        for (int i = 0; i < n; i++) {
            at = it.next();
        }
        return at;
    }

    private void forgetOlderThan(Instant cutoff) {
        while (!recent.isEmpty() && !recent.peekFirst().isAfter(cutoff)) {
            recent.removeFirst();
        }
    }
}
