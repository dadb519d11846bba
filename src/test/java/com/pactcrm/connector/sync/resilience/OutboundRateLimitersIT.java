package com.pactcrm.connector.sync.resilience;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.pactcrm.connector.testsupport.ManualClock;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutboundRateLimitersIT {

    @Test
    void aLimiterForAHostNobodyCallsAgainIsDroppedWhileABusyOneIsKept() {
        Environment environment = ApplicationContext.builder().deduceEnvironment(false)
                .properties(Map.of("connector.rate-limits.amocrm.default", "7/1s")).build().getEnvironment().start();
        ManualClock clock = new ManualClock(Instant.parse("2026-03-02T10:00:00Z"));
        OutboundRateLimiters limiters = new OutboundRateLimiters(environment, clock);
        SlidingWindowRateLimiter busy = limiters.limiter("amocrm", "acme.amocrm.ru", "default");
        // What an install callback with a made-up referer leaves behind.
        SlidingWindowRateLimiter madeUp = limiters.limiter("amocrm", "x9f3.amocrm.ru", "default");

        for (int i = 0; i < 7; i++) {
            clock.advance(Duration.ofMinutes(10));
            assertSame(busy, limiters.limiter("amocrm", "acme.amocrm.ru", "default"), "a limiter in use keeps its window");
        }

        assertNotSame(madeUp, limiters.limiter("amocrm", "x9f3.amocrm.ru", "default"), "an idle limiter is kept forever");
    }
}
