package com.pactcrm.connector.sync.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SlidingWindowRateLimiterTest {

    /** A clock the test moves by hand. */
    @Test
    void parsesLimitsAsWrittenInConfiguration() {
        assertEquals(List.of(new RateLimit(5, Duration.ofSeconds(1)), new RateLimit(30, Duration.ofSeconds(60))),
                RateLimit.parseAll("5/1s, 30/60s"));
        assertEquals(new RateLimit(10, Duration.ofMinutes(1)), RateLimit.parse("10/1m"));
        assertThrows(IllegalArgumentException.class, () -> RateLimit.parse("five per second"));
    }

    @Test
    void noSlidingWindowEverHoldsMoreThanEveryLimitAllows() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-24T00:00:00Z"));
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(RateLimit.parseAll("5/1s,30/60s"), clock);
        List<Instant> granted = new ArrayList<>();
        for (int step = 0; step < 180_000; step += 37) {
            SlidingWindowRateLimiter.Attempt a = limiter.tryAcquire();
            if (a.granted()) {
                a.permit().complete();
                granted.add(clock.instant());
            }
            clock.advance(Duration.ofMillis(37));
        }
        assertEquals(90, granted.size(), "30 a minute for three minutes");
        assertTrue(maxInWindow(granted, Duration.ofSeconds(1)) <= 5);
        assertTrue(maxInWindow(granted, Duration.ofSeconds(60)) <= 30);
    }

    @Test
    void askingWhenTheNextPermitIsFreeTakesNone() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-24T00:00:00Z"));
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(RateLimit.parseAll("2/1s"), clock);
        assertEquals(Duration.ZERO, limiter.nextPermitIn());
        assertEquals(Duration.ZERO, limiter.nextPermitIn(), "looking twice took nothing");
        limiter.tryAcquire().permit().complete();
        clock.advance(Duration.ofMillis(200));
        limiter.tryAcquire().permit().complete();
        assertEquals(Duration.ofMillis(801), limiter.nextPermitIn(), "the first call leaves the window 1 s (+1 ms) after it");
        assertFalse(limiter.tryAcquire().granted());
        clock.advance(Duration.ofMillis(801));
        assertEquals(Duration.ZERO, limiter.nextPermitIn());
        assertTrue(limiter.tryAcquire().granted());
    }

    @Test
    void aCallInFlightCountsAsHappeningNowUntilItCompletes() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-24T00:00:00Z"));
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(RateLimit.parseAll("1/1s"), clock);
        SlidingWindowRateLimiter.Permit slowCall = limiter.tryAcquire().permit();
        clock.advance(Duration.ofMillis(1500));
        assertFalse(limiter.tryAcquire().granted(), "the target may have received the slow call just now");
        slowCall.complete();
        clock.advance(Duration.ofMillis(999));
        assertFalse(limiter.tryAcquire().granted());
        clock.advance(Duration.ofMillis(2));
        assertTrue(limiter.tryAcquire().granted());
    }

    /**
     * With a slow target calls complete out of order: the first call here waits for a connection and reaches
     * amoCRM late, at 850 ms, while six faster ones completed at 100 ms; callers then ask every millisecond.
     * amoCRM counts arrivals: no second may see an eighth, whichever order the calls completed in.
     */
    @Test
    void aCallThatCompletesLastIsNeverForgotten() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-24T00:00:00Z"));
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(RateLimit.parseAll("7/1s"), clock);
        Instant start = clock.instant();
        List<Instant> arrivals = new ArrayList<>();
        List<SlidingWindowRateLimiter.Permit> first = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            first.add(limiter.tryAcquire().permit());
        }
        clock.advance(Duration.ofMillis(100));
        for (int i = 1; i < 7; i++) {
            first.get(i).complete();
            arrivals.add(start);
        }
        clock.advance(Duration.ofMillis(750));
        arrivals.add(clock.instant());
        clock.advance(Duration.ofMillis(50));
        first.get(0).complete();
        List<SlidingWindowRateLimiter.Permit> inFlight = new ArrayList<>();
        for (int ms = 0; ms < 3_000; ms++) {
            SlidingWindowRateLimiter.Attempt a = limiter.tryAcquire();
            if (a.granted()) {
                arrivals.add(clock.instant());
                inFlight.add(a.permit());
            }
            clock.advance(Duration.ofMillis(1));
            if (inFlight.size() > 2) {
                inFlight.remove(0).complete();
            }
        }
        arrivals.sort(Instant::compareTo);
        assertTrue(maxInWindow(arrivals, Duration.ofSeconds(1)) <= 7,
                "an eighth arrival within one second: " + maxInWindow(arrivals, Duration.ofSeconds(1)));
    }

    /**
     * What the shared store does on every call (restore the stored state at the database's time, act, store it again)
     * grants exactly what one limiter kept in memory grants, with calls completing out of order and a pause.
     */
    @Test
    void aLimiterRestoredFromItsStateAtEveryStepGrantsExactlyWhatOneKeptInMemoryGrants() {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-06T00:00:00Z"));
        List<RateLimit> limits = RateLimit.parseAll("5/1s,30/60s");
        SlidingWindowRateLimiter memory = new SlidingWindowRateLimiter(limits, clock);
        String stored = null;
        Random random = new Random(20261206L);
        List<long[]> inFlight = new ArrayList<>();
        for (int step = 0; step < 5_000; step++) {
            clock.advance(Duration.ofMillis(random.nextInt(120)));
            SlidingWindowRateLimiter shared = SlidingWindowRateLimiter.restore(limits, clock, stored, Duration.ofMinutes(2));
            if (!inFlight.isEmpty() && random.nextBoolean()) {
                long id = inFlight.remove(random.nextInt(inFlight.size()))[0];
                memory.complete(id);
                shared.complete(id);
            } else {
                SlidingWindowRateLimiter.Attempt inMemory = memory.tryAcquire();
                SlidingWindowRateLimiter.Attempt restored = shared.tryAcquire();
                assertEquals(inMemory.waitTime(), restored.waitTime(), "step " + step);
                if (restored.granted()) {
                    assertEquals(inMemory.permit().id(), restored.permit().id());
                    inFlight.add(new long[] {restored.permit().id()});
                }
            }
            if (step == 2_500) {
                memory.pauseUntil(clock.instant().plusSeconds(3));
                shared.pauseUntil(clock.instant().plusSeconds(3));
            }
            stored = shared.state();
            assertEquals(memory.state(), stored, "step " + step);
        }
    }

    @Test
    void aCallLeftInFlightByAProcessThatDiedCountsAsDoneAfterTheLongestCallAndNotBefore() {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-06T00:00:00Z"));
        List<RateLimit> limits = RateLimit.parseAll("1/1s");
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(limits, clock);
        assertTrue(limiter.tryAcquire().granted());
        String state = limiter.state();

        clock.advance(Duration.ofSeconds(119));
        assertFalse(SlidingWindowRateLimiter.restore(limits, clock, state, Duration.ofMinutes(2)).tryAcquire().granted(),
                "its process may still be waiting for the answer");
        clock.advance(Duration.ofSeconds(2));
        assertFalse(SlidingWindowRateLimiter.restore(limits, clock, state, Duration.ofMinutes(2)).tryAcquire().granted(),
                "done two minutes after its permit, the latest it could have arrived: counts for a second more");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(SlidingWindowRateLimiter.restore(limits, clock, state, Duration.ofMinutes(2)).tryAcquire().granted());
    }

    @Test
    void aPauseAfterTooManyRequestsHoldsEveryCaller() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-24T00:00:00Z"));
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(RateLimit.parseAll("100/1s"), clock);
        limiter.pauseUntil(clock.instant().plusSeconds(2));
        SlidingWindowRateLimiter.Attempt refused = limiter.tryAcquire();
        assertFalse(refused.granted());
        assertEquals(Duration.ofSeconds(2), refused.waitTime());
        clock.advance(Duration.ofSeconds(2));
        assertTrue(limiter.tryAcquire().granted());
    }

    private static int maxInWindow(List<Instant> calls, Duration window) {
        int max = 0;
        for (int i = 0; i < calls.size(); i++) {
            int count = 0;
            for (int j = i; j < calls.size() && !calls.get(j).isAfter(calls.get(i).plus(window)); j++) {
                count++;
            }
            max = Math.max(max, count);
        }
        return max;
    }
}
