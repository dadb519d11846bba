package com.pactcrm.connector.sync.inbound;

/** The event can never be applied (malformed, unknown shape): park it at once instead of retrying. */
public class UnprocessableEventException extends RuntimeException {

    public UnprocessableEventException(String message) {
        super(message);
    }
}
