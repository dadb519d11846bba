package com.pactcrm.connector.sync.resilience;

import io.micronaut.context.env.Environment;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One limiter per (target, account, operation), with limits from
 * {@code connector.rate-limits.<target>.<operation>} (falling back to {@code <target>.default}).
 * The account is whatever the target counts by: Pact counts per API token, amoCRM per account,
 * Bitrix24 per portal.
 */
@Singleton
public class OutboundRateLimiters {

    /** The limiters' own clock ({@link MonotonicClock}). */
    public static final String MONOTONIC = "monotonic";

    private final Environment environment;
    private final Clock clock;
    private final Map<String, SlidingWindowRateLimiter> limiters = new ConcurrentHashMap<>();

    public OutboundRateLimiters(Environment environment, @Named(MONOTONIC) Clock clock) {
        this.environment = environment;
        this.clock = clock;
    }

    public SlidingWindowRateLimiter limiter(String target, String account, String operation) {
        return limiters.computeIfAbsent(target + '|' + account + '|' + operation,
                key -> new SlidingWindowRateLimiter(RateLimit.parseAll(spec(target, operation)), clock));
    }

    /**
     * Waits for a permit if it comes within {@code maxWait}; otherwise gives up at once. The caller
     * completes the permit when its call returns: the call counts against the limit until then.
     *
     * @throws RateLimitWaitTooLongException with the time until a permit may be free
     */
    public SlidingWindowRateLimiter.Permit acquire(String target, String account, String operation, Duration maxWait) {
        SlidingWindowRateLimiter limiter = limiter(target, account, operation);
        Instant deadline = clock.instant().plus(maxWait);
        while (true) {
            SlidingWindowRateLimiter.Attempt attempt = limiter.tryAcquire();
            if (attempt.granted()) {
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
        return limiter(target, account, operation).nextPermitIn();
    }

    /** The target answered 429: hold every caller of this operation for {@code wait}. */
    public void pause(String target, String account, String operation, Duration wait) {
        limiter(target, account, operation).pauseUntil(clock.instant().plus(wait));
    }

    private String spec(String target, String operation) {
        return environment.getProperty("connector.rate-limits." + target + "." + operation, String.class)
                .or(() -> environment.getProperty("connector.rate-limits." + target + ".default", String.class))
                .orElseThrow(() -> new IllegalStateException(
                        "No rate limit configured for " + target + "." + operation + " (connector.rate-limits)"));
    }
}
