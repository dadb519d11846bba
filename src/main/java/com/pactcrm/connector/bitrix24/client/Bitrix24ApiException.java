package com.pactcrm.connector.bitrix24.client;

import com.pactcrm.connector.sync.resilience.OutboundCallException;
import java.time.Duration;

/**
 * A Bitrix24 REST error, classified for the relay. Bitrix24 answers {@code {"error": "CODE",
 * "error_description": "text"}} with an HTTP status (bitrix24.md §7.3); {@code error} is kept so callers can
 * tell an expired token from a missing entity.
 */
public class Bitrix24ApiException extends OutboundCallException {

    public static final String EXPIRED_TOKEN = "expired_token";
    public static final String COMPONENT_TOKEN = "BITRIX24_TOKEN";
    public static final String COMPONENT_BILLING = "BITRIX24_BILLING";
    public static final String COMPONENT_PORTAL = "BITRIX24_PORTAL";

    private final String error;

    public Bitrix24ApiException(String message, Disposition disposition, int status, String error, Duration retryAfter,
                                String healthComponent, String healthState, Throwable cause) {
        super(message, disposition, status, retryAfter, healthComponent, healthState, cause);
        this.error = error;
    }

    /** Bitrix24's error code ({@code expired_token}, {@code NOT_FOUND}, ...), or null without one. */
    public String error() {
        return error;
    }

    /** 401 {@code expired_token}: the only answer after which a refresh is allowed (bitrix24.md §2). */
    public boolean isTokenExpired() {
        return EXPIRED_TOKEN.equals(error);
    }

    public boolean isNotFound() {
        return error != null && (error.equals("NOT_FOUND") || error.equals("OWNER_NOT_FOUND"))
                || status() == 404;
    }
}
