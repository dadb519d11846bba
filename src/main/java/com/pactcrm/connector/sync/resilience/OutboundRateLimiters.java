package com.pactcrm.connector.sync.resilience;

import io.micronaut.context.env.Environment;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One limiter per (target, account, operation), with limits from {@code connector.rate-limits.<target>.<operation>}
 * (falling back to {@code <target>.default}). The account is whatever the target counts by: Pact counts per API token,
 * amoCRM per account. Each limiter is a {@link SlidingWindowRateLimiter} whose state lives in the database
 * ({@link SharedLimiterStates}): every replica's calls for an account count against the one budget the target enforces.
 */
@Singleton
public class OutboundRateLimiters {

    /** The limiters' own clock ({@link MonotonicClock}): times how long a caller waits, never what counts. */
    public static final String MONOTONIC = "monotonic";
    /**
     * A call in flight longer than this was made by a process that died before its answer: it counts as answered then.
     * Longer than any client's read timeout (Bitrix24's 60 s is the longest).
     */
    static final Duration MAX_IN_FLIGHT = Duration.ofMinutes(2);

    private static final Logger LOG = LoggerFactory.getLogger(OutboundRateLimiters.class);

    private final Environment environment;
    private final Clock clock;
    private final SharedLimiterStates states;
    /** Parsed limits per target and operation: as many as configured. */
    private final Map<String, List<RateLimit>> limits = new ConcurrentHashMap<>();

    public OutboundRateLimiters(Environment environment, @Named(MONOTONIC) Clock clock, SharedLimiterStates states) {
        this.environment = environment;
        this.clock = clock;
        this.states = states;
    }

    /** A granted call: complete it (close it) when the call returns or fails. */
    public interface Permit extends AutoCloseable {
        void complete();

        @Override
        default void close() {
            complete();
        }
    }

    /**
     * A permit if one is free now; otherwise empty, with nothing taken.
     */
    public Optional<Permit> tryAcquire(String target, String account, String operation) {
        Attempt attempt = attempt(target, account, operation);
        return Optional.ofNullable(attempt.permit());
    }

    /**
     * Waits for a permit if it comes within {@code maxWait}; otherwise gives up at once. The caller completes the
     * permit when its call returns: the call counts against the limit until then.
     *
     * @throws RateLimitWaitTooLongException with the time until a permit may be free
     */
    public Permit acquire(String target, String account, String operation, Duration maxWait) {
        Instant deadline = clock.instant().plus(maxWait);
        while (true) {
            Attempt attempt = attempt(target, account, operation);
            if (attempt.permit() != null) {
                return attempt.permit();
            }
            Duration wait = attempt.waitTime();
            if (clock.instant().plus(wait).isAfter(deadline)) {
                throw new RateLimitWaitTooLongException(target, operation, wait);
            }
            try {
                Thread.sleep(Math.max(1, wait.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RateLimitWaitTooLongException(target, operation, wait);
            }
        }
    }

    /** How long until {@link #acquire} would grant a permit at once, without taking one. */
    public Duration nextPermitIn(String target, String account, String operation) {
        List<RateLimit> limits = limits(target, operation);
        return states.change(SharedLimiterStates.key(target, account, operation), (state, now) ->
                SharedLimiterStates.Outcome.unchanged(restore(limits, state, now).nextPermitIn()));
    }

    /** The target answered 429: hold every caller of this operation, on every replica, for {@code wait}. */
    public void pause(String target, String account, String operation, Duration wait) {
        List<RateLimit> limits = limits(target, operation);
        states.change(SharedLimiterStates.key(target, account, operation), (state, now) -> {
            SlidingWindowRateLimiter limiter = restore(limits, state, now);
            limiter.pauseUntil(now.plus(wait));
            return new SharedLimiterStates.Outcome<>(limiter.state(), null);
        });
    }

    private record Attempt(Permit permit, Duration waitTime) {
    }

    private Attempt attempt(String target, String account, String operation) {
        List<RateLimit> limits = limits(target, operation);
        String key = SharedLimiterStates.key(target, account, operation);
        return states.change(key, (state, now) -> {
            SlidingWindowRateLimiter limiter = restore(limits, state, now);
            SlidingWindowRateLimiter.Attempt attempt = limiter.tryAcquire();
            if (!attempt.granted()) {
                return SharedLimiterStates.Outcome.unchanged(new Attempt(null, attempt.waitTime()));
            }
            long id = attempt.permit().id();
            return new SharedLimiterStates.Outcome<>(limiter.state(), new Attempt(() -> complete(key, limits, id), Duration.ZERO));
        });
    }

    private void complete(String key, List<RateLimit> limits, long id) {
        try {
            states.change(key, (state, now) -> {
                SlidingWindowRateLimiter limiter = restore(limits, state, now);
                limiter.complete(id);
                return new SharedLimiterStates.Outcome<>(limiter.state(), null);
            });
        } catch (RuntimeException e) {
            // The call itself is over; its permit counts as in flight until MAX_IN_FLIGHT, later than it should, never less.
            LOG.warn("event=rate_limiter_complete_failed limiter={} error=\"{}\"", key, e.getMessage());
        }
    }

    private static SlidingWindowRateLimiter restore(List<RateLimit> limits, String state, Instant now) {
        return SlidingWindowRateLimiter.restore(limits, Clock.fixed(now, ZoneOffset.UTC), state, MAX_IN_FLIGHT);
    }

    private List<RateLimit> limits(String target, String operation) {
        return limits.computeIfAbsent(target + '|' + operation, k -> RateLimit.parseAll(environment.getProperty("connector.rate-limits." + target + "." + operation, String.class)
                .or(() -> environment.getProperty("connector.rate-limits." + target + ".default", String.class))
                .orElseThrow(() -> new IllegalStateException(
                        "No rate limit configured for " + target + "." + operation + " (connector.rate-limits)"))));
    }
}
