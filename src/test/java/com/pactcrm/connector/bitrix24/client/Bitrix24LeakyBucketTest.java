package com.pactcrm.connector.bitrix24.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Bitrix24LeakyBucketTest {

    private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

    @Test
    void requestsInFlightFillTheBucketWhateverTimePasses() {
        ManualClock clock = new ManualClock(T0);
        Bitrix24LeakyBucket bucket = new Bitrix24LeakyBucket(3, 1, clock);
        for (int i = 0; i < 3; i++) {
            assertEquals(Duration.ZERO, bucket.tryTake());
        }
        clock.advance(Duration.ofSeconds(10));
        assertTrue(bucket.tryTake().compareTo(Duration.ZERO) > 0, "three slow requests may all arrive now");

        bucket.landed();
        assertTrue(bucket.nextRoomIn().compareTo(Duration.ZERO) > 0, "the one answered may have arrived just now");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Duration.ZERO, bucket.tryTake(), "a second after its answer it has drained");
    }

    @Test
    void aBucketAssumedFullLetsRequestsThroughAtTheDrainRateOnly() {
        ManualClock clock = new ManualClock(T0);
        Bitrix24LeakyBucket bucket = new Bitrix24LeakyBucket(50, 2, clock);

        bucket.assumeFull();

        assertEquals(Duration.ofMillis(500), bucket.tryTake(), "a new owner does not burst into calls it never saw");
        clock.advance(Duration.ofMillis(500));
        assertEquals(Duration.ZERO, bucket.tryTake());
        bucket.landed();
        assertTrue(bucket.tryTake().compareTo(Duration.ZERO) > 0, "the next one half a second later");
    }

    /**
     * Requests taken at random moments, each arriving at the portal at a random moment between its sending and its
     * answer (up to 1.5 s later): the portal's own bucket, replayed over the arrivals, never overflows. Counted at
     * sending (as this bucket did before), the portal's bucket overflows (seed 20261207: 5.2 of 5).
     */
    @Test
    void thePortalsBucketNeverOverflowsWhateverTheDelaysBetweenSendingAndArrival() {
        for (long seed = 20261206; seed < 20261206 + 20; seed++) {
            Random random = new Random(seed);
            ManualClock clock = new ManualClock(T0);
            Bitrix24LeakyBucket bucket = new Bitrix24LeakyBucket(5, 2, clock);
            PriorityQueue<Long> answers = new PriorityQueue<>();
            List<Long> arrivals = new ArrayList<>();
            long now = 0;
            for (int step = 0; step < 2_000; step++) {
                long next = now + random.nextInt(200);
                if (!answers.isEmpty() && answers.peek() <= next) {
                    now = answers.poll();
                    clock.advance(Duration.ofMillis(now - millis(clock)));
                    bucket.landed();
                    continue;
                }
                now = next;
                clock.advance(Duration.ofMillis(now - millis(clock)));
                if (bucket.tryTake().isZero()) {
                    long answeredAt = now + 1 + random.nextInt(1_500);
                    answers.add(answeredAt);
                    arrivals.add(now + (long) (random.nextDouble() * (answeredAt - now)));
                }
            }
            double peak = portalPeak(arrivals, 2);
            assertTrue(peak <= 5 + 1e-9, "seed " + seed + ": the portal's bucket reached " + peak + " of 5");
            assertTrue(arrivals.size() > 200, "seed " + seed + ": the bucket let requests through: " + arrivals.size());
        }
    }

    /** The portal's leaky bucket replayed over arrival times (ms): its highest level, each arrival included. */
    private static double portalPeak(List<Long> arrivals, double drainPerSecond) {
        List<Long> sorted = arrivals.stream().sorted().toList();
        double level = 0;
        double peak = 0;
        long last = 0;
        for (long at : sorted) {
            level = Math.max(0, level - (at - last) / 1000.0 * drainPerSecond) + 1;
            last = at;
            peak = Math.max(peak, level);
        }
        return peak;
    }

    private static long millis(ManualClock clock) {
        return Duration.between(T0, clock.instant()).toMillis();
    }
}
