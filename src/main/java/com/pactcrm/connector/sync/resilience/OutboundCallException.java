package com.pactcrm.connector.sync.resilience;

import java.time.Duration;
import java.util.Optional;

/**
 * A failed call to Pact or a CRM, classified for the relay: whether to retry, when, and whether the
 * installation's health must change. Every gateway maps its provider's errors onto this one shape.
 */
public class OutboundCallException extends RuntimeException {

    /** What the relay does with a failed command. */
    public enum Disposition {
        /** Transient (5xx, connection refused): retry along the ladder. */
        RETRY,
        /** The request may have been applied (timeout after sending): look up before creating again. */
        RETRY_AMBIGUOUS,
        /** The target asked us to slow down: retry after {@link #retryAfter()}, not counted as a failure. */
        RATE_LIMITED,
        /** The request itself is wrong (400, 404, validation): retrying cannot help. */
        PERMANENT,
        /** Credentials, billing or permissions (401/402/403): stop and show it in the installation's health. */
        HEALTH
    }

    private final Disposition disposition;
    private final int status;
    private final Duration retryAfter;
    private final String healthComponent;
    private final String healthState;

    public OutboundCallException(String message, Disposition disposition, int status, Duration retryAfter,
                                 String healthComponent, String healthState, Throwable cause) {
        super(message, cause);
        this.disposition = disposition;
        this.status = status;
        this.retryAfter = retryAfter;
        this.healthComponent = healthComponent;
        this.healthState = healthState;
    }

    public Disposition disposition() {
        return disposition;
    }

    /** HTTP status, or 0 when no response arrived. */
    public int status() {
        return status;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** Health component to update (e.g. {@code PACT_TOKEN}), for {@link Disposition#HEALTH}. */
    public Optional<String> healthComponent() {
        return Optional.ofNullable(healthComponent);
    }

    /** Health state to record (e.g. {@code UNAUTHORIZED}, {@code PAYMENT_REQUIRED}). */
    public Optional<String> healthState() {
        return Optional.ofNullable(healthState);
    }
}
