package com.pactcrm.connector.sync.resilience;

import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;

/**
 * One meter set for every outbound client ({@code connector.outbound.calls} and
 * {@code connector.outbound.latency}, tagged target, operation, outcome), so dashboards compare
 * Pact, amoCRM and Bitrix24 directly.
 */
@Singleton
public class OutboundCallMetrics {

    private final MeterRegistry meters;

    public OutboundCallMetrics(MeterRegistry meters) {
        this.meters = meters;
    }

    /** @return the call's duration in milliseconds, for the log line */
    public long record(String target, String operation, String outcome, long startNanos) {
        long nanos = System.nanoTime() - startNanos;
        Counter.builder("connector.outbound.calls")
                .description("Calls to external APIs, by outcome")
                .tags("target", target, "operation", operation, "outcome", outcome)
                .register(meters)
                .increment();
        Timer.builder("connector.outbound.latency")
                .description("Latency of calls to external APIs")
                .tags("target", target, "operation", operation, "outcome", outcome)
                .register(meters)
                .record(nanos, TimeUnit.NANOSECONDS);
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** The outcome tag of a failed call; {@code timedOut} tells a timeout from another I/O failure. */
    public static String outcomeOf(OutboundCallException e, boolean timedOut) {
        if (e.disposition() == Disposition.HEALTH) {
            return "health";
        }
        // Bitrix24 throttles with 503 QUERY_LIMIT_EXCEEDED or OPERATION_TIME_LIMIT: a slow-down, not an outage.
        if (e.status() == 429 || e.disposition() == Disposition.RATE_LIMITED) {
            return "rate_limited";
        }
        if (e.status() >= 500) {
            return "server_error";
        }
        if (e.status() >= 400) {
            return "client_error";
        }
        if (e.status() == 0) {
            return timedOut ? "timeout" : "io_error";
        }
        // A 2xx whose body could not be read: the target misbehaved.
        return "server_error";
    }
}
