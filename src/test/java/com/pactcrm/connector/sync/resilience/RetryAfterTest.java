package com.pactcrm.connector.sync.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2026-12-06T05:00:00Z");

    @Test
    void deltaSecondsAreAWaitOfThatManySeconds() {
        assertEquals(Duration.ofSeconds(120), RetryAfter.parse(" 120 ", NOW).orElseThrow());
        assertEquals(Duration.ZERO, RetryAfter.parse("0", NOW).orElseThrow());
    }

    @Test
    void anHttpDateIsAWaitUntilThatDate() {
        assertEquals(Duration.ofSeconds(90), RetryAfter.parse("Sun, 06 Dec 2026 05:01:30 GMT", NOW).orElseThrow());
    }

    @Test
    void anHttpDateAlreadyPastIsNoWait() {
        assertEquals(Duration.ZERO, RetryAfter.parse("Sun, 06 Dec 2026 04:59:00 GMT", NOW).orElseThrow());
    }

    @Test
    void anUnreadableOrMissingValueIsNoHint() {
        for (String value : new String[] {null, "", "  ", "soon", "-5", "1.5", "99999999999999999999"}) {
            assertTrue(RetryAfter.parse(value, NOW).isEmpty(), "'" + value + "'");
        }
    }
}
