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
    private long nextPermitId = 1;

    public SlidingWindowRateLimiter(List<RateLimit> limits, Clock clock) {
        this.limits = List.copyOf(limits);
        this.clock = clock;
        this.longest = limits.stream().map(RateLimit::period).max(Duration::compareTo).orElseThrow().plus(MARGIN);
        this.largestPermits = limits.stream().mapToInt(RateLimit::permits).max().orElseThrow();
    }

    /** One granted call. Complete it when the call returns (or fails), in a finally block. */
    public final class Permit implements AutoCloseable {
        private final long id;
        private Instant countedAt;
        private boolean inFlight;

        private Permit(long id, Instant at, boolean inFlight) {
            this.id = id;
            this.countedAt = at;
            this.inFlight = inFlight;
        }

        /** Names the permit within its limiter's {@linkplain #state() state}, to complete it after a restore. */
        public long id() {
            return id;
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
        Permit permit = new Permit(nextPermitId++, now, true);
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

    /** Completes the permit {@code id} names, if this limiter still holds it in flight. */
    public synchronized void complete(long id) {
        for (Permit p : recent) {
            if (p.id == id) {
                p.complete();
                return;
            }
        }
    }

    /**
     * Everything the limiter knows, as text to store and {@linkplain #restore restore}: the pause, the next permit id
     * and each call that still counts (id, the instant in microseconds, {@code f} in flight since it or {@code d} done
     * at it).
     */
    public synchronized String state() {
        forgetOlderThan(clock.instant().minus(longest));
        StringBuilder out = new StringBuilder()
                .append(pausedUntil.equals(Instant.MIN) ? "-" : Long.toString(SharedLimiterStates.micros(pausedUntil)))
                .append('|').append(nextPermitId).append('|');
        for (Permit p : recent) {
            out.append(p.id).append(':').append(SharedLimiterStates.micros(p.countedAt)).append(p.inFlight ? 'f' : 'd').append(';');
        }
        return out.toString();
    }

    /**
     * A limiter as {@link #state()} left it (null: a new one). A call still in flight after {@code maxInFlight} was made
     * by a process that died before completing it: it counts as done then, the latest its answer could have come.
     */
    public static SlidingWindowRateLimiter restore(List<RateLimit> limits, Clock clock, String state, Duration maxInFlight) {
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(limits, clock);
        if (state == null || state.isEmpty()) {
            return limiter;
        }
        String[] parts = state.split("\\|", -1);
        limiter.pausedUntil = "-".equals(parts[0]) ? Instant.MIN : SharedLimiterStates.ofMicros(Long.parseLong(parts[0]));
        limiter.nextPermitId = Long.parseLong(parts[1]);
        Instant abandonedBefore = clock.instant().minus(maxInFlight);
        for (String entry : parts[2].split(";")) {
            if (entry.isEmpty()) {
                continue;
            }
            int colon = entry.indexOf(':');
            long id = Long.parseLong(entry.substring(0, colon));
            Instant at = SharedLimiterStates.ofMicros(Long.parseLong(entry.substring(colon + 1, entry.length() - 1)));
            boolean inFlight = entry.charAt(entry.length() - 1) == 'f';
            if (inFlight && at.isBefore(abandonedBefore)) {
                limiter.recent.addLast(limiter.new Permit(id, at.plus(maxInFlight), false));
            } else {
                limiter.recent.addLast(limiter.new Permit(id, at, inFlight));
            }
        }
        return limiter;
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
