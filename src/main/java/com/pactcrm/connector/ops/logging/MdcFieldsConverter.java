package com.pactcrm.connector.ops.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code %mdcFields} in the text layout: each MDC entry ({@code installationId}, {@code eventId}) as
 * {@code key=value }, under the key the MDC uses, and only when set and not already written by the message
 * itself, so that every key appears once on a line.
 */
public class MdcFieldsConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc == null || mdc.isEmpty()) {
            return "";
        }
        Map<String, String> inMessage = MessageKeyValues.parse(event.getFormattedMessage());
        StringBuilder fields = new StringBuilder();
        new TreeMap<>(mdc).forEach((key, value) -> {
            if (value != null && !inMessage.containsKey(key)) {
                fields.append(key).append('=').append(value).append(' ');
            }
        });
        return fields.toString();
    }
}
