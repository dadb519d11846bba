package com.pactcrm.connector.bitrix24.client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A portal's request budget as Bitrix24 counts it: a leaky bucket of {@code capacity} requests that drains
 * {@code drainPerSecond} per second; a request that would overflow it gets 503 {@code QUERY_LIMIT_EXCEEDED}
 * (bitrix24.md §7.2; https://apidocs.bitrix24.com/limits.html).
 *
 * <p>The portal counts a request when it arrives, some time after we sent it and before its answer came back, and
 * that delay varies (a busy machine, the network): counted at sending, a request sent late after one sent early
 * could arrive right behind it and overflow a bucket we thought had room. So a request counts as a whole unit while
 * it is {@linkplain #landed() in flight}, and from its answer on it drains as if it had arrived then, the latest it
 * can have: the level we see is never below the portal's, whatever the delays.
 */
final class Bitrix24LeakyBucket {

    private final double capacity;
    private final double drainPerSecond;
    private final Clock clock;
    /** Requests answered, draining since their answers. */
    private double level;
    private int inFlight;
    private Instant drainedAt;
    private Instant pausedUntil;

    Bitrix24LeakyBucket(double capacity, double drainPerSecond, Clock clock) {
        this.capacity = capacity;
        this.drainPerSecond = drainPerSecond;
        this.clock = clock;
        this.drainedAt = clock.instant();
    }

    /**
     * Takes room for one request; call {@link #landed()} once it is answered or failed.
     * @return zero when taken, else how long until there may be room
     */
    synchronized Duration tryTake() {
        Duration wait = waitAt(clock.instant());
        if (wait.isZero()) {
            inFlight++;
        }
        return wait;
    }

    /** A request that took room is over: from now on it drains. */
    synchronized void landed() {
        drain(clock.instant());
        inFlight = Math.max(0, inFlight - 1);
        level += 1;
    }

    /** How long until there is room for one request, without taking it (zero: now). */
    synchronized Duration nextRoomIn() {
        return waitAt(clock.instant());
    }

    /** Counts the bucket as full now (calls we did not see may have filled it): it drains from here. */
    synchronized void assumeFull() {
        drain(clock.instant());
        level = Math.max(level, capacity - inFlight);
    }

    /** The portal said the bucket is full: send nothing before {@code until}, and count it as full then. */
    synchronized void pauseUntil(Instant until) {
        drain(clock.instant());
        level = Math.max(level, capacity - inFlight);
        if (pausedUntil == null || until.isAfter(pausedUntil)) {
            pausedUntil = until;
        }
    }

    private Duration waitAt(Instant now) {
        if (pausedUntil != null && pausedUntil.isAfter(now)) {
            return Duration.between(now, pausedUntil);
        }
        drain(now);
        double over = level + inFlight + 1 - capacity;
        // While requests in flight alone fill the bucket, no drain makes room: ask again shortly.
        return over <= 0 ? Duration.ZERO : Duration.ofMillis(Math.max(1, (long) Math.ceil(over / drainPerSecond * 1000)));
    }

    private void drain(Instant now) {
        double seconds = Duration.between(drainedAt, now).toNanos() / 1e9;
        if (seconds > 0) {
            level = Math.max(0, level - seconds * drainPerSecond);
            drainedAt = now;
        }
    }
}
