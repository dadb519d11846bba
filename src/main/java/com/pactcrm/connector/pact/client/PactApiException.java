package com.pactcrm.connector.pact.client;

import com.pactcrm.connector.sync.resilience.OutboundCallException;
import java.time.Duration;

/**
 * A Pact API error, classified. Pact answers {@code {"errors":[{"status","code","title","detail"}]}}
 * (https://api.pact.im docs, "Errors"); 402 means the company's plan is unpaid, 429's wait is only
 * given as text in {@code detail} ("Please wait for 50 seconds").
 */
public class PactApiException extends OutboundCallException {

    private final String code;
    private final String detail;

    public PactApiException(String message, Disposition disposition, int status, String code, String detail,
                            Duration retryAfter, String healthState, Throwable cause) {
        super(message, disposition, status, retryAfter, healthState == null ? null : healthComponentFor(status),
                healthState, cause);
        this.code = code;
        this.detail = detail;
    }

    /** Pact's error {@code code} (e.g. {@code unauthorized}, {@code too_many_requests}), if any. */
    public String code() {
        return code;
    }

    /** Pact's error {@code detail}, if any. */
    public String detail() {
        return detail;
    }

    private static String healthComponentFor(int status) {
        return status == 402 ? "PACT_BILLING" : "PACT_TOKEN";
    }
}
