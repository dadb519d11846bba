package com.pactcrm.connector.amocrm.widget;

/** A disposable token that must not open a session; the message says why (for the log only). */
public class AmoCrmTokenRejectedException extends RuntimeException {

    public AmoCrmTokenRejectedException(String reason) {
        super(reason);
    }
}
