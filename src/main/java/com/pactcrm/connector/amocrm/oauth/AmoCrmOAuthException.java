package com.pactcrm.connector.amocrm.oauth;

import com.pactcrm.connector.sync.resilience.OutboundCallException;

/** The token endpoint failed in a way that may pass (5xx, timeout, unexpected answer): retry later. */
public class AmoCrmOAuthException extends OutboundCallException {

    public AmoCrmOAuthException(String message, int status, Throwable cause) {
        super(message, Disposition.RETRY, status, null, null, null, cause);
    }
}
