package com.pactcrm.connector.amocrm.oauth;

import com.pactcrm.connector.sync.resilience.OutboundCallException;

/**
 * amoCRM refused the grant ({@code invalid_grant}, "Token has been revoked"): the refresh token or
 * code is used up or withdrawn (amocrm.md §1.4, §7.2). Retrying cannot help; an admin must authorise
 * the integration again.
 */
public class AmoCrmTokenRevokedException extends OutboundCallException {

    public static final String HEALTH_COMPONENT = "CRM_TOKEN";
    public static final String HEALTH_STATE = "REAUTH_REQUIRED";

    public AmoCrmTokenRevokedException(String message, int status) {
        super(message, Disposition.HEALTH, status, null, HEALTH_COMPONENT, HEALTH_STATE, null);
    }
}
