package com.pactcrm.connector.bitrix24.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A portal's request budget as Bitrix24 counts it: a leaky bucket of {@code capacity} requests that drains
 * {@code drainPerSecond} per second; a request that would overflow it gets 503 {@code QUERY_LIMIT_EXCEEDED}
 * (bitrix24.md §7.2; https://apidocs.bitrix24.com/limits.html). A request counts when it is sent, as the
 * portal counts it when it arrives.
 */
final class Bitrix24LeakyBucket {

    private final double capacity;
    private final double drainPerSecond;
    private final Clock clock;
    private double level;
    private Instant drainedAt;
    private Instant pausedUntil;

    Bitrix24LeakyBucket(double capacity, double drainPerSecond, Clock clock) {
        this.capacity = capacity;
        this.drainPerSecond = drainPerSecond;
        this.clock = clock;
        this.drainedAt = clock.instant();
    }

    /** Takes room for one request. @return zero when taken, else how long until there is room */
    synchronized Duration tryTake() {
        Instant now = clock.instant();
        if (pausedUntil != null && pausedUntil.isAfter(now)) {
            return Duration.between(now, pausedUntil);
        }
        drain(now);
        if (level + 1 <= capacity) {
            level += 1;
            return Duration.ZERO;
        }
        return Duration.ofMillis((long) Math.ceil((level + 1 - capacity) / drainPerSecond * 1000));
    }

    /** How long until there is room for one request, without taking it (zero: now). */
    synchronized Duration nextRoomIn() {
        Instant now = clock.instant();
        if (pausedUntil != null && pausedUntil.isAfter(now)) {
            return Duration.between(now, pausedUntil);
        }
        drain(now);
        return level + 1 <= capacity ? Duration.ZERO
                : Duration.ofMillis((long) Math.ceil((level + 1 - capacity) / drainPerSecond * 1000));
    }

    /** The portal said the bucket is full: send nothing before {@code until}, and count it as full then. */
    synchronized void pauseUntil(Instant until) {
        drain(clock.instant());
        level = capacity;
        if (pausedUntil == null || until.isAfter(pausedUntil)) {
            pausedUntil = until;
        }
    }

    private void drain(Instant now) {
        double seconds = Duration.between(drainedAt, now).toNanos() / 1e9;
        if (seconds > 0) {
            level = Math.max(0, level - seconds * drainPerSecond);
            drainedAt = now;
        }
    }
}
