package com.pactcrm.connector.sync.resilience;

import com.pactcrm.connector.sync.outbox.OutboundCallException;
import com.pactcrm.connector.sync.outbox.OutboundCallException.Disposition;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One circuit breaker per target host. Only server-side trouble counts (5xx, timeouts, connection
 * errors): a 4xx is our request's fault and says nothing about the host's health. Windows are
 * small so that a quiet host's breaker can open at all (Resilience4j's default minimum is 100 calls).
 */
@Singleton
public class OutboundCircuitBreakers {

    private final CircuitBreakerRegistry registry;
    private final Duration openFor;

    public OutboundCircuitBreakers(
            @Value("${connector.circuit-breaker.window:20}") int window,
            @Value("${connector.circuit-breaker.minimum-calls:10}") int minimumCalls,
            @Value("${connector.circuit-breaker.failure-rate:50}") float failureRate,
            @Value("${connector.circuit-breaker.open-for:30s}") Duration openFor) {
        this.openFor = openFor;
        this.registry = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(window)
                .minimumNumberOfCalls(minimumCalls)
                .failureRateThreshold(failureRate)
                .waitDurationInOpenState(openFor)
                .permittedNumberOfCallsInHalfOpenState(3)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .build());
    }

    /**
     * Runs one call to {@code host} through its breaker.
     *
     * @throws OutboundCallException {@link Disposition#RATE_LIMITED} after the open time when the breaker is
     *                               open: the command waits without spending an attempt of its ladder
     */
    public <T> T call(String host, Supplier<T> call) {
        CircuitBreaker breaker = registry.circuitBreaker(host);
        try {
            breaker.acquirePermission();
        } catch (CallNotPermittedException e) {
            throw new OutboundCallException("circuit open for " + host, Disposition.RATE_LIMITED, 0, openFor,
                    null, null, e);
        }
        long start = System.nanoTime();
        try {
            T result = call.get();
            breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            return result;
        } catch (OutboundCallException e) {
            if (countsAgainstHost(e)) {
                breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
            } else {
                breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
            throw e;
        } catch (RuntimeException e) {
            breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
            throw e;
        }
    }

    public CircuitBreaker.State state(String host) {
        return registry.circuitBreaker(host).getState();
    }

    private static boolean countsAgainstHost(OutboundCallException e) {
        return (e.disposition() == Disposition.RETRY || e.disposition() == Disposition.RETRY_AMBIGUOUS)
                && (e.status() == 0 || e.status() >= 500);
    }
}
