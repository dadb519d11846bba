package com.pactcrm.connector.amocrm.oauth;

import com.pactcrm.connector.sync.resilience.OutboundCallException;

/** The account host is not one of {@code connector.amocrm.allowed-host-suffixes}: no request was sent. */
public class AmoCrmHostNotAllowedException extends OutboundCallException {

    public AmoCrmHostNotAllowedException(String message) {
        super(message, Disposition.PERMANENT, 0, null, null, null, null);
    }
}
