package com.pactcrm.connector.security;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Last line of defence for log lines: whatever slipped into a message (a header dump, a query
 * string, an exception text from a client), known secret shapes are masked before it is written.
 */
public class MaskingMessageConverter extends MessageConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return SecretMasker.mask(super.convert(event));
    }
}
