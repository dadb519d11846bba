package com.pactcrm.connector.sync.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutboundCircuitBreakersTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final OutboundCircuitBreakers breakers = new OutboundCircuitBreakers(meters, 4, 4, 50, Duration.ofSeconds(30));

    @Test
    void refusalsOfOurRequestsNeverOpenTheBreaker() {
        for (int i = 0; i < 10; i++) {
            fail("a.example", Disposition.PERMANENT, 404);
            fail("a.example", Disposition.HEALTH, 401);
            fail("a.example", Disposition.RATE_LIMITED, 429);
        }

        assertEquals(CircuitBreaker.State.CLOSED, breakers.state("a.example"));
    }

    @Test
    void serverErrorsAndTimeoutsOpenItAndThenNoCallGoesOut() {
        fail("b.example", Disposition.RETRY, 500);
        fail("b.example", Disposition.RETRY_AMBIGUOUS, 0);
        fail("b.example", Disposition.RETRY, 503);
        fail("b.example", Disposition.RETRY_AMBIGUOUS, 504);

        assertEquals(CircuitBreaker.State.OPEN, breakers.state("b.example"));
        assertThrows(CallNotPermittedException.class, () -> breakers.call("b.example", () -> "never sent"));
        assertEquals(CircuitBreaker.State.CLOSED, breakers.state("c.example"), "one breaker per host");
    }

    @Test
    void eachBreakersStateIsAMeterTaggedWithItsHost() {
        assertEquals("ok", breakers.call("d.example", () -> "ok"));

        assertEquals(1.0, meters.get("resilience4j.circuitbreaker.state").tags("name", "d.example", "state", "closed")
                .gauge().value());
        assertTrue(meters.get("resilience4j.circuitbreaker.calls").tags("name", "d.example", "kind", "successful")
                .timer().count() >= 1);
    }

    private void fail(String host, Disposition disposition, int status) {
        OutboundCallException failure = new OutboundCallException("x", disposition, status, null, null, null, null);
        assertThrows(OutboundCallException.class, () -> breakers.call(host, () -> {
            throw failure;
        }));
    }
}
