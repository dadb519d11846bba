package com.pactcrm.connector.ops;

import com.pactcrm.connector.sync.resilience.MonotonicClock;
import com.pactcrm.connector.sync.resilience.OutboundRateLimiters;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Primary;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.time.Clock;

/** One clock for the whole service, so tests can reason about time windows. */
@Factory
class ClockFactory {

    @Singleton
    @Primary
    Clock clock() {
        return Clock.systemUTC();
    }

    /** Only for the rate limiters: never stepped (see {@link MonotonicClock}). */
    @Singleton
    @Named(OutboundRateLimiters.MONOTONIC)
    Clock monotonicClock() {
        return new MonotonicClock();
    }
}
