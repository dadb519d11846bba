package com.pactcrm.connector.sync.lease;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.sync.resilience.RateLimit;
import io.micronaut.context.env.Environment;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How long a new owner of an installation keeps quiet towards each target after taking it over: the window
 * in which that target still counts the calls the previous owner made (our limiters live in memory, so they
 * do not know them). amoCRM counts per second (1 s); a Bitrix24 portal's bucket needs {@code burst ÷ drain}
 * to empty (25 s); Pact's longest window is a minute (60 s), and only Pact calls wait for it. Derived from
 * the rate-limit settings; {@code connector.lease.takeover-quiet.<amocrm|bitrix24|pact>} overrides one.
 */
@Singleton
public class TakeoverQuiet {

    private final Duration amocrm;
    private final Duration bitrix24;
    private final Duration pact;

    public TakeoverQuiet(Duration amocrm, Duration bitrix24, Duration pact) {
        this.amocrm = amocrm;
        this.bitrix24 = bitrix24;
        this.pact = pact;
    }

    @Inject
    TakeoverQuiet(Environment environment) {
        this(override(environment, "amocrm").orElseGet(() -> longestWindow(environment, "amocrm")),
                override(environment, "bitrix24").orElseGet(() -> bucketDrainTime(environment)),
                override(environment, "pact").orElseGet(() -> longestWindow(environment, "pact")));
    }

    /** The quiet for calls to the installation's CRM (also the wait before processing its events, which read the CRM). */
    public Duration crm(CrmKind crm) {
        return crm == CrmKind.BITRIX24 ? bitrix24 : amocrm;
    }

    public Duration pact() {
        return pact;
    }

    private static Optional<Duration> override(Environment environment, String target) {
        return environment.getProperty("connector.lease.takeover-quiet." + target, Duration.class);
    }

    private static Duration longestWindow(Environment environment, String target) {
        Map<String, Object> limits = environment.getProperties("connector.rate-limits." + target);
        return limits.values().stream()
                .flatMap(spec -> RateLimit.parseAll(spec.toString()).stream())
                .map(RateLimit::period)
                .max(Duration::compareTo)
                .orElse(Duration.ofSeconds(60));
    }

    private static Duration bucketDrainTime(Environment environment) {
        double burst = environment.getProperty("connector.bitrix24.burst", Double.class).orElse(50.0);
        double drain = environment.getProperty("connector.bitrix24.drain-per-second", Double.class).orElse(2.0);
        return Duration.ofMillis((long) Math.ceil(burst / drain * 1000));
    }
}
