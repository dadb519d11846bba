package com.pactcrm.connector.sync.resilience;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micronaut.context.env.Environment;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One limiter per (target, account, operation), with limits from
 * {@code connector.rate-limits.<target>.<operation>} (falling back to {@code <target>.default}).
 * The account is whatever the target counts by: Pact counts per API token, amoCRM per account,
 * Bitrix24 per portal.
 *
 * <p>An account can come from a caller before anyone verified it (the amoCRM install callback's {@code referer} names
 * the token endpoint's host), so the limiters are bounded: an idle one is dropped after {@link #IDLE}, far longer than
 * any window or pause, and at most {@link #MAX_LIMITERS} are kept, about five per installation (Caffeine's admission
 * policy keeps the busy ones when one-off keys flood in).
 */
@Singleton
public class OutboundRateLimiters {

    /** The limiters' own clock ({@link MonotonicClock}). */
    public static final String MONOTONIC = "monotonic";

    private final Environment environment;
    private final Clock clock;
    private static final Duration IDLE = Duration.ofHours(1);
    private static final int MAX_LIMITERS = 50_000;

    private final Cache<String, SlidingWindowRateLimiter> limiters;

    public OutboundRateLimiters(Environment environment, @Named(MONOTONIC) Clock clock) {
        this.environment = environment;
        this.clock = clock;
        this.limiters = Caffeine.newBuilder()
                // Idle time on the limiters' own clock.
                .ticker(() -> ChronoUnit.NANOS.between(Instant.EPOCH, clock.instant()))
                .expireAfterAccess(IDLE)
                .maximumSize(MAX_LIMITERS)
                .build();
    }

    public SlidingWindowRateLimiter limiter(String target, String account, String operation) {
        return limiters.get(target + '|' + account + '|' + operation,
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
