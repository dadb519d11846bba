package com.pactcrm.connector.crm.form;

import com.pactcrm.connector.sync.inbound.UnprocessableEventException;

/**
 * The body is not a form, or its bracketed names do not nest. A journaled event with such a body can never be
 * applied, so this is an {@link UnprocessableEventException} (the dispatcher parks it at once); a controller
 * reading a form on the request path answers 400 instead.
 */
public class MalformedFormException extends UnprocessableEventException {

    MalformedFormException(String message) {
        super(message);
    }
}
