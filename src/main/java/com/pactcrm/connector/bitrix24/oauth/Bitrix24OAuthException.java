package com.pactcrm.connector.bitrix24.oauth;

import com.pactcrm.connector.sync.resilience.OutboundCallException;

/**
 * The Bitrix24 OAuth server refused or failed a grant (bitrix24.md §2, "OAuth server errors";
 * https://apidocs.bitrix24.com/settings/oauth/error-codes.html). {@code invalid_grant} means an admin must
 * install or authorise again; {@code PAYMENT_REQUIRED} means no tokens until the subscription is paid. Both
 * are health states: retrying cannot help. Anything else may pass.
 */
public class Bitrix24OAuthException extends OutboundCallException {

    public static final String HEALTH_COMPONENT_TOKEN = "CRM_TOKEN";
    public static final String HEALTH_COMPONENT_BILLING = "CRM_BILLING";
    public static final String REAUTH_REQUIRED = "REAUTH_REQUIRED";
    public static final String PAYMENT_REQUIRED = "PAYMENT_REQUIRED";

    private final String error;

    private Bitrix24OAuthException(String message, Disposition disposition, int status, String error,
                                   String component, String state, Throwable cause) {
        super(message, disposition, status, null, component, state, cause);
        this.error = error;
    }

    static Bitrix24OAuthException of(String message, int status, String error, Throwable cause) {
        if ("invalid_grant".equalsIgnoreCase(error) || "invalid_client".equalsIgnoreCase(error)
                || "wrong_client".equalsIgnoreCase(error)) {
            return new Bitrix24OAuthException(message, Disposition.HEALTH, status, error, HEALTH_COMPONENT_TOKEN,
                    REAUTH_REQUIRED, cause);
        }
        if (PAYMENT_REQUIRED.equalsIgnoreCase(error)) {
            return new Bitrix24OAuthException(message, Disposition.HEALTH, status, error, HEALTH_COMPONENT_BILLING,
                    PAYMENT_REQUIRED, cause);
        }
        return new Bitrix24OAuthException(message, Disposition.RETRY, status, error, null, null, cause);
    }

    public String error() {
        return error;
    }

    public boolean reauthRequired() {
        return REAUTH_REQUIRED.equals(healthState().orElse(null));
    }

    public boolean paymentRequired() {
        return PAYMENT_REQUIRED.equals(healthState().orElse(null));
    }
}
