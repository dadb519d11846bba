package com.pactcrm.connector.sync.outbox;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a failed command waits before its next attempt, and when it is dead. The default ladder
 * follows Svix's published schedule, stretched to about two days, with the 75–100 % jitter of
 * Stripe's client (webhooks-outbox-resilience.md B3) so that retries of many commands spread out.
 */
@Singleton
public class RetryLadder {

    private final List<Duration> steps;

    public RetryLadder(@Value("${connector.outbox.retry-ladder:5s,30s,2m,10m,30m,1h,3h,6h,12h,24h}") String ladder) {
        List<Duration> parsed = new ArrayList<>();
        for (String step : ladder.split(",")) {
            parsed.add(parse(step.strip()));
        }
        this.steps = List.copyOf(parsed);
    }

    /** Attempts a command gets before it goes to the dead letters. */
    public int maxAttempts() {
        return steps.size() + 1;
    }

    /** The wait after the {@code attempts}-th failed attempt, jittered, but never shorter than the target asked. */
    public Duration delayAfter(int attempts, Duration atLeast) {
        Duration step = steps.get(Math.min(Math.max(attempts, 1), steps.size()) - 1);
        Duration jittered = jitter(step);
        return atLeast != null && atLeast.compareTo(jittered) > 0 ? atLeast : jittered;
    }

    /** 75–100 % of {@code wait}, so that many retries due at once spread out (Stripe's client rule). */
    public static Duration jitter(Duration wait) {
        return Duration.ofMillis((long) (wait.toMillis() * (0.75 + 0.25 * ThreadLocalRandom.current().nextDouble())));
    }

    static Duration parse(String step) {
        if (step.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(step.substring(0, step.length() - 2)));
        }
        long amount = Long.parseLong(step.substring(0, step.length() - 1));
        return switch (step.charAt(step.length() - 1)) {
            case 's' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMinutes(amount);
            case 'h' -> Duration.ofHours(amount);
            default -> throw new IllegalArgumentException("Retry step '" + step + "' needs a unit: ms, s, m or h");
        };
    }
}
