package com.pactcrm.connector.bitrix24.client;

import static com.pactcrm.connector.sync.resilience.SharedLimiterStates.micros;
import static com.pactcrm.connector.sync.resilience.SharedLimiterStates.ofMicros;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A portal's request budget as Bitrix24 counts it: a leaky bucket of {@code capacity} requests that drains
 * {@code drainPerSecond} per second; a request that would overflow it gets 503 {@code QUERY_LIMIT_EXCEEDED}
 * (bitrix24.md §7.2; https://apidocs.bitrix24.com/limits.html).
 *
 * <p>The portal counts a request when it arrives, some time after we sent it and before its answer came back, and
 * that delay varies (a busy machine, the network): counted at sending, a request sent late after one sent early
 * could arrive right behind it and overflow a bucket we thought had room. So a request counts as a whole unit while
 * it is {@linkplain #landed in flight}, and from its answer on it drains as if it had arrived then, the latest it
 * can have: the level we see is never below the portal's, whatever the delays.
 */
final class Bitrix24LeakyBucket {

    /** Room taken for one request ({@code id} names it to {@link #landed}), or how long until there may be room. */
    record Taken(long id, Duration waitTime) {
        boolean granted() {
            return waitTime.isZero();
        }
    }

    private final double capacity;
    private final double drainPerSecond;
    private final Clock clock;
    /** Requests answered, draining since their answers. */
    private double level;
    /** Requests in flight, by id, with when each took its room. */
    private final Map<Long, Instant> inFlight = new LinkedHashMap<>();
    private long nextId = 1;
    private Instant drainedAt;
    private Instant pausedUntil;

    Bitrix24LeakyBucket(double capacity, double drainPerSecond, Clock clock) {
        this.capacity = capacity;
        this.drainPerSecond = drainPerSecond;
        this.clock = clock;
        this.drainedAt = clock.instant();
    }

    /**
     * Takes room for one request when there is some; call {@link #landed} with its id once it is answered or failed.
     */
    synchronized Taken tryTake() {
        Duration wait = waitAt(clock.instant());
        if (!wait.isZero()) {
            return new Taken(0, wait);
        }
        long id = nextId++;
        inFlight.put(id, clock.instant());
        return new Taken(id, Duration.ZERO);
    }

    /** The request that took room {@code id} is over: from now on it drains. */
    synchronized void landed(long id) {
        if (inFlight.remove(id) != null) {
            drain(clock.instant());
            level += 1;
        }
    }

    /** How long until there is room for one request, without taking it (zero: now). */
    synchronized Duration nextRoomIn() {
        return waitAt(clock.instant());
    }

    /** The portal said the bucket is full: send nothing before {@code until}, and count it as full then. */
    synchronized void pauseUntil(Instant until) {
        drain(clock.instant());
        level = Math.max(level, capacity - inFlight.size());
        if (pausedUntil == null || until.isAfter(pausedUntil)) {
            pausedUntil = until;
        }
    }

    /**
     * Everything the bucket knows, as text to store and {@linkplain #restore restore}: level, when it last drained,
     * the pause, the next id, and each request in flight (id and since when, in microseconds).
     */
    synchronized String state() {
        StringBuilder out = new StringBuilder()
                .append(level).append('|').append(micros(drainedAt)).append('|')
                .append(pausedUntil == null ? "-" : Long.toString(micros(pausedUntil))).append('|').append(nextId).append('|');
        inFlight.forEach((id, since) -> out.append(id).append(':').append(micros(since)).append(';'));
        return out.toString();
    }

    /**
     * A bucket as {@link #state()} left it (null: an empty one). A request still in flight after {@code maxInFlight} was
     * sent by a process that died before its answer: it counts as answered now, the latest it can have arrived.
     */
    static Bitrix24LeakyBucket restore(double capacity, double drainPerSecond, Clock clock, String state, Duration maxInFlight) {
        Bitrix24LeakyBucket bucket = new Bitrix24LeakyBucket(capacity, drainPerSecond, clock);
        if (state == null || state.isEmpty()) {
            return bucket;
        }
        String[] parts = state.split("\\|", -1);
        bucket.level = Double.parseDouble(parts[0]);
        bucket.drainedAt = ofMicros(Long.parseLong(parts[1]));
        bucket.pausedUntil = "-".equals(parts[2]) ? null : ofMicros(Long.parseLong(parts[2]));
        bucket.nextId = Long.parseLong(parts[3]);
        Instant abandonedBefore = clock.instant().minus(maxInFlight);
        List<Long> abandoned = new ArrayList<>();
        for (String entry : parts[4].split(";")) {
            if (!entry.isEmpty()) {
                int colon = entry.indexOf(':');
                long id = Long.parseLong(entry.substring(0, colon));
                Instant since = ofMicros(Long.parseLong(entry.substring(colon + 1)));
                bucket.inFlight.put(id, since);
                if (since.isBefore(abandonedBefore)) {
                    abandoned.add(id);
                }
            }
        }
        abandoned.forEach(bucket::landed);
        return bucket;
    }

    private Duration waitAt(Instant now) {
        if (pausedUntil != null && pausedUntil.isAfter(now)) {
            return Duration.between(now, pausedUntil);
        }
        drain(now);
        double over = level + inFlight.size() + 1 - capacity;
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
