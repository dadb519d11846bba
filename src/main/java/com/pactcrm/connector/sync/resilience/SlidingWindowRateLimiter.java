package com.pactcrm.connector.sync.resilience;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

/**
 * Exact sliding-window limiter: no window of any limit's length ever holds more calls than the
 * limit allows, as the target counts them. The target counts a call when the request arrives, which
 * is some time after we took the permit and before the call completed; so a call counts from its
 * permit until it {@linkplain Permit#complete() completes} as "happening now", and after that at its
 * completion time. Fixed-window counters can let twice the limit through across a window boundary,
 * which is how an amoCRM account gets blocked.
 */
public final class SlidingWindowRateLimiter {

    /** A call exactly one period ago still counts: a target that measures closed windows must not see one too many. */
    private static final Duration MARGIN = Duration.ofMillis(1);

    private final List<RateLimit> limits;
    private final Clock clock;
    private final ArrayDeque<Permit> recent = new ArrayDeque<>();
    private final Duration longest;
    private final int largestPermits;
    private Instant pausedUntil = Instant.MIN;

    public SlidingWindowRateLimiter(List<RateLimit> limits, Clock clock) {
        this.limits = List.copyOf(limits);
        this.clock = clock;
        this.longest = limits.stream().map(RateLimit::period).max(Duration::compareTo).orElseThrow().plus(MARGIN);
        this.largestPermits = limits.stream().mapToInt(RateLimit::permits).max().orElseThrow();
    }

    /** One granted call. Complete it when the call returns (or fails), in a finally block. */
    public final class Permit implements AutoCloseable {
        private Instant countedAt;
        private boolean inFlight = true;

        private Permit(Instant at) {
            this.countedAt = at;
        }

        /** The call is over: from now on it counts at this instant. */
        public void complete() {
            synchronized (SlidingWindowRateLimiter.this) {
                if (inFlight) {
                    inFlight = false;
                    countedAt = clock.instant();
                }
            }
        }

        @Override
        public void close() {
            complete();
        }

        private Instant countedAt(Instant now) {
            return inFlight ? now : countedAt;
        }
    }

    /** A permit, or how long until one may be free. */
    public record Attempt(Permit permit, Duration waitTime) {
        public boolean granted() {
            return permit != null;
        }
    }

    public synchronized Attempt tryAcquire() {
        Instant now = clock.instant();
        Duration wait = waitAt(now);
        if (!wait.isZero()) {
            return new Attempt(null, wait);
        }
        Permit permit = new Permit(now);
        recent.addLast(permit);
        trimCompleted();
        return new Attempt(permit, Duration.ZERO);
    }

    /** How long until a permit may be free, without taking one (zero: now). */
    public synchronized Duration nextPermitIn() {
        return waitAt(clock.instant());
    }

    private Duration waitAt(Instant now) {
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
        Instant blocking = nthNewest(limit.permits(), now);
        Instant free = blocking.plus(limit.period()).plus(MARGIN);
        return free.isAfter(now) ? Duration.between(now, free) : Duration.ZERO;
    }

    /** Calls complete out of order, so the n-th newest is found by time, not by position. */
    private Instant nthNewest(int n, Instant now) {
        return recent.stream()
                .map(p -> p.countedAt(now))
                .sorted((a, b) -> b.compareTo(a))
                .skip(n - 1L)
                .findFirst()
                .orElse(Instant.MIN);
    }

    /**
     * Keeps what the largest limit needs: the newest calls by the time they count at, never the order their
     * permits were taken in (a slow call completes after faster ones taken later, and is the one that must
     * stay). A call still in flight is never forgotten (it counts as now).
     */
    private void trimCompleted() {
        while (recent.size() > largestPermits) {
            Permit oldest = null;
            for (Permit p : recent) {
                if (!p.inFlight && (oldest == null || p.countedAt.isBefore(oldest.countedAt))) {
                    oldest = p;
                }
            }
            if (oldest == null) {
                return;
            }
            recent.remove(oldest);
        }
    }

    private void forgetOlderThan(Instant cutoff) {
        Iterator<Permit> it = recent.iterator();
        while (it.hasNext()) {
            Permit p = it.next();
            if (!p.inFlight && !p.countedAt.isAfter(cutoff)) {
                it.remove();
            }
        }
    }
}
