package com.pactcrm.connector.sync.resilience;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * At most {@code permits} calls in any window of {@code period}. Written in configuration as
 * {@code 5/1s}, {@code 30/60s}, {@code 10/1m}; several comma-separated limits must all hold.
 */
public record RateLimit(int permits, Duration period) {

    private static final Pattern FORM = Pattern.compile("\\s*(\\d+)\\s*/\\s*(\\d+)\\s*(ms|s|m|h)\\s*");

    public RateLimit {
        if (permits < 1 || period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("A rate limit needs at least one permit in a positive period");
        }
    }

    public static List<RateLimit> parseAll(String spec) {
        List<RateLimit> limits = new ArrayList<>();
        for (String part : spec.split(",")) {
            if (!part.isBlank()) {
                limits.add(parse(part));
            }
        }
        if (limits.isEmpty()) {
            throw new IllegalArgumentException("No rate limit in '" + spec + "'");
        }
        return limits;
    }

    public static RateLimit parse(String spec) {
        Matcher m = FORM.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("Rate limit '" + spec + "' is not of the form 5/1s, 30/60s or 10/1m");
        }
        long amount = Long.parseLong(m.group(2));
        Duration period = switch (m.group(3)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
        return new RateLimit(Integer.parseInt(m.group(1)), period);
    }

    @Override
    public String toString() {
        return permits + "/" + period.toMillis() + "ms";
    }
}
