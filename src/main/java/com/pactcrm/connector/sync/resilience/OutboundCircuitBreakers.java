package com.pactcrm.connector.sync.resilience;

import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One circuit breaker per target host. Only server-side trouble counts (5xx, timeouts, connection
 * errors): a 4xx is our request's fault and says nothing about the host's health, so it is recorded as a
 * successful call. Windows are small so that a quiet host's breaker can open at all (Resilience4j's default
 * minimum is 100 calls). Each breaker's state and calls are on {@code /prometheus} as Resilience4j's own
 * {@code resilience4j.circuitbreaker.*} meters, tagged {@code name=<host>}.
 */
@Singleton
public class OutboundCircuitBreakers {

    private final CircuitBreakerRegistry registry;
    private final Duration openFor;

    public OutboundCircuitBreakers(
            MeterRegistry meters,
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
                // An exception this predicate does not record counts as a successful call, not as an ignored one
                // (Resilience4j CircuitBreakerConfig#recordException): the host answered, and answered sanely.
                .recordException(OutboundCircuitBreakers::countsAgainstHost)
                .build());
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(meters);
    }

    /**
     * Runs one call to {@code host} through its breaker.
     *
     * @throws CallNotPermittedException while the breaker is open: the caller waits {@link #openFor()}
     */
    public <T> T call(String host, Supplier<T> call) {
        return registry.circuitBreaker(host).executeSupplier(call);
    }

    /** How long an open breaker refuses calls before it lets a few through to try the host again. */
    public Duration openFor() {
        return openFor;
    }

    public CircuitBreaker.State state(String host) {
        return registry.circuitBreaker(host).getState();
    }

    static boolean countsAgainstHost(Throwable e) {
        if (e instanceof OutboundCallException call) {
            return (call.disposition() == Disposition.RETRY || call.disposition() == Disposition.RETRY_AMBIGUOUS)
                    && (call.status() == 0 || call.status() >= 500);
        }
        // Not classified by a client: a bug or an unexpected failure of the exchange; the host gets the blame.
        return true;
    }
}
