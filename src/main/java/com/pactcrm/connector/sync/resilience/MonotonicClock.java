package com.pactcrm.connector.sync.resilience;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Time for the rate limiters: it starts at the wall clock and then moves at the pace of {@link System#nanoTime()},
 * which NTP never steps. A provider counts our calls in real elapsed time; a wall clock stepped forward by
 * 50 ms would make calls of the last second look older than they are and let one call too many into the
 * window (how amoCRM blocks an account, amocrm.md §4.5). Not for timestamps that other processes compare
 * (leases, the database): those stay on the wall clock.
 */
public final class MonotonicClock extends Clock {

    private final Instant base = Instant.now();
    private final long baseNanos = System.nanoTime();

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return base.plusNanos(System.nanoTime() - baseNanos);
    }
}
