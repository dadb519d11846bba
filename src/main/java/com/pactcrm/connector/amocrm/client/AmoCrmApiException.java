package com.pactcrm.connector.amocrm.client;

import com.pactcrm.connector.amocrm.client.dto.AmoCrmProblem;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import java.time.Duration;
import java.util.Optional;

/**
 * An amoCRM API error, classified for the relay. amoCRM answers errors as {@code application/problem+json}
 * with {@code title}, {@code detail} and, on a 400, {@code validation-errors} (amocrm.md §4.1); a blocked
 * account answers 403 with an nginx HTML page instead (amocrm.md §7.2), so the problem may be absent.
 */
public class AmoCrmApiException extends OutboundCallException {

    /** 401: the access token expired or was revoked; the caller refreshes it and calls once more (amocrm.md §1.5). */
    public static final String TOKEN_EXPIRED = "TOKEN_EXPIRED";
    /** 402: the account's plan is unpaid. */
    public static final String PAYMENT_REQUIRED = "PAYMENT_REQUIRED";
    /** 403: repeated 429s got the account blocked; only amoCRM support lifts it (amocrm.md §4.5, §7.2). */
    public static final String ACCOUNT_BLOCKED = "ACCOUNT_BLOCKED";

    /** Health components, one per thing an admin has to fix. */
    public static final String COMPONENT_TOKEN = "AMOCRM_TOKEN";
    public static final String COMPONENT_BILLING = "AMOCRM_BILLING";
    public static final String COMPONENT_ACCOUNT = "AMOCRM_ACCOUNT";

    private final AmoCrmProblem problem;

    public AmoCrmApiException(String message, Disposition disposition, int status, AmoCrmProblem problem,
                              Duration retryAfter, String healthState, Throwable cause) {
        super(message, disposition, status, retryAfter, healthState == null ? null : componentFor(healthState),
                healthState, cause);
        this.problem = problem;
    }

    /** amoCRM's problem body, when it sent one that parses. */
    public Optional<AmoCrmProblem> problem() {
        return Optional.ofNullable(problem);
    }

    /** True for a 401: refresh the token and retry once; a second 401 means the installation lost access. */
    public boolean isTokenExpired() {
        return TOKEN_EXPIRED.equals(healthState().orElse(null));
    }

    /** True for a 403: stop calling this account and alert; retrying makes nothing better. */
    public boolean isAccountBlocked() {
        return ACCOUNT_BLOCKED.equals(healthState().orElse(null));
    }

    private static String componentFor(String healthState) {
        return switch (healthState) {
            case TOKEN_EXPIRED -> COMPONENT_TOKEN;
            case PAYMENT_REQUIRED -> COMPONENT_BILLING;
            default -> COMPONENT_ACCOUNT;
        };
    }
}
