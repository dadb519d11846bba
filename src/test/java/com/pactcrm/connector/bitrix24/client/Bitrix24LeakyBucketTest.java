package com.pactcrm.connector.bitrix24.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
        List<Long> taken = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Bitrix24LeakyBucket.Taken room = bucket.tryTake();
            assertTrue(room.granted());
            taken.add(room.id());
        }
        clock.advance(Duration.ofSeconds(10));
        assertFalse(bucket.tryTake().granted(), "three slow requests may all arrive now");

        bucket.landed(taken.get(0));
        assertTrue(bucket.nextRoomIn().compareTo(Duration.ZERO) > 0, "the one answered may have arrived just now");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(bucket.tryTake().granted(), "a second after its answer it has drained");
    }

    @Test
    void aRestoredBucketKnowsWhatTheStoredOneKnew() {
        ManualClock clock = new ManualClock(T0);
        Bitrix24LeakyBucket bucket = new Bitrix24LeakyBucket(50, 2, clock);
        for (int i = 0; i < 30; i++) {
            bucket.landed(bucket.tryTake().id());
        }
        long inFlight = bucket.tryTake().id();
        bucket.pauseUntil(T0.plusSeconds(3));

        Bitrix24LeakyBucket restored = Bitrix24LeakyBucket.restore(50, 2, clock, bucket.state(), Duration.ofMinutes(2));

        assertEquals(bucket.state(), restored.state());
        assertEquals(Duration.ofSeconds(3), restored.nextRoomIn(), "the pause");
        clock.advance(Duration.ofSeconds(3));
        assertEquals(bucket.nextRoomIn(), restored.nextRoomIn());
        restored.landed(inFlight);
        bucket.landed(inFlight);
        assertEquals(bucket.state(), restored.state(), "the request in flight is the one that lands");
        assertNotEquals(bucket.state(), new Bitrix24LeakyBucket(50, 2, clock).state());
    }

    @Test
    void aRequestInFlightForLongerThanAnyCallCanLastLandsWhenRestored() {
        ManualClock clock = new ManualClock(T0);
        Bitrix24LeakyBucket bucket = new Bitrix24LeakyBucket(1, 1, clock);
        bucket.tryTake();
        String state = bucket.state();

        clock.advance(Duration.ofSeconds(119));
        assertFalse(Bitrix24LeakyBucket.restore(1, 1, clock, state, Duration.ofMinutes(2)).tryTake().granted(),
                "still in flight: its process may be waiting for the answer");
        clock.advance(Duration.ofSeconds(2));
        Bitrix24LeakyBucket restored = Bitrix24LeakyBucket.restore(1, 1, clock, state, Duration.ofMinutes(2));
        assertFalse(restored.tryTake().granted(), "landed now, the latest it can have arrived: it drains from here");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(restored.tryTake().granted(), "a process that died mid-call does not hold the portal's room for good");
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
            PriorityQueue<long[]> answers = new PriorityQueue<>((x, y) -> Long.compare(x[0], y[0]));
            List<Long> arrivals = new ArrayList<>();
            long now = 0;
            for (int step = 0; step < 2_000; step++) {
                long next = now + random.nextInt(200);
                if (!answers.isEmpty() && answers.peek()[0] <= next) {
                    long[] answer = answers.poll();
                    now = answer[0];
                    clock.advance(Duration.ofMillis(now - millis(clock)));
                    bucket.landed(answer[1]);
                    continue;
                }
                now = next;
                clock.advance(Duration.ofMillis(now - millis(clock)));
                Bitrix24LeakyBucket.Taken room = bucket.tryTake();
                if (room.granted()) {
                    long answeredAt = now + 1 + random.nextInt(1_500);
                    answers.add(new long[] {answeredAt, room.id()});
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
