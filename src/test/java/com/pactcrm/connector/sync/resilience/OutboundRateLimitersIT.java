package com.pactcrm.connector.sync.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micronaut.context.env.Environment;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Two replicas' limiters over one database (each its own {@link SharedLimiterStates} and {@link OutboundRateLimiters},
 * as two processes have): their calls for one account never exceed its limit together, counted at the moment each
 * "arrives", anywhere between its permit and its answer.
 */
@MicronautTest(transactional = false)
class OutboundRateLimitersIT {

    @Inject
    Environment environment;
    @Inject
    DataSource dataSource;
    @Inject
    @Named(OutboundRateLimiters.MONOTONIC)
    Clock clock;

    @Test
    void twoReplicasCallingOneAccountStayWithinItsLimitTogether() throws Exception {
        OutboundRateLimiters relayReplica = new OutboundRateLimiters(environment, clock, new SharedLimiterStates(dataSource));
        OutboundRateLimiters widgetReplica = new OutboundRateLimiters(environment, clock, new SharedLimiterStates(dataSource));
        String account = "shared-" + System.nanoTime() + ".amocrm.ru";
        List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<Future<?>> calls = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            OutboundRateLimiters replica = t % 2 == 0 ? relayReplica : widgetReplica;
            Random random = new Random(t);
            calls.add(threads.submit(() -> {
                for (int i = 0; i < 6; i++) {
                    try (var permit = replica.acquire("amocrm", account, "default", Duration.ofSeconds(30))) {
                        long sent = System.nanoTime();
                        long took = random.nextInt(250_000_000);
                        // The target counts the call when it arrives: anywhere while it is under way.
                        arrivals.add(sent + (long) (random.nextDouble() * took));
                        Thread.sleep(took / 1_000_000);
                    }
                }
                return null;
            }));
        }
        for (Future<?> call : calls) {
            call.get();
        }
        threads.shutdown();

        assertEquals(48, arrivals.size());
        assertTrue(busiestSecond(arrivals) <= 7, "arrivals in the busiest second: " + busiestSecond(arrivals));
    }

    @Test
    void aPauseOnOneReplicaHoldsTheOther() {
        OutboundRateLimiters one = new OutboundRateLimiters(environment, clock, new SharedLimiterStates(dataSource));
        OutboundRateLimiters other = new OutboundRateLimiters(environment, clock, new SharedLimiterStates(dataSource));
        String account = "paused-" + System.nanoTime() + ".amocrm.ru";

        one.pause("amocrm", account, "default", Duration.ofSeconds(30));

        Duration wait = other.nextPermitIn("amocrm", account, "default");
        assertTrue(wait.compareTo(Duration.ofSeconds(25)) > 0, wait.toString());
        assertTrue(other.tryAcquire("amocrm", account, "default").isEmpty());
        assertTrue(other.nextPermitIn("amocrm", "another-" + account, "default").isZero(), "only that account");
    }

    private static int busiestSecond(List<Long> arrivals) {
        List<Long> sorted = arrivals.stream().sorted().toList();
        int busiest = 0;
        for (int i = 0, j = 0; i < sorted.size(); i++) {
            while (sorted.get(i) - sorted.get(j) >= 1_000_000_000L) {
                j++;
            }
            busiest = Math.max(busiest, i - j + 1);
        }
        return busiest;
    }
}
