package com.pactcrm.connector.ops.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import com.pactcrm.connector.security.SecretMasker;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import net.logstash.logback.composite.AbstractJsonProvider;

/**
 * The JSON layout's {@code message} (masked, as in the text layout) and one field per {@code key=value} pair of
 * it ({@code "event":"relay_call_failed","status":"503"}), so a log store filters on fields instead of parsing text.
 * Values stay strings: a key that is a number on one line and {@code -} on another must not change type. A key
 * that the MDC or the layout's own fields already wrote is left in the message only, so no key appears twice.
 */
public class MessageFieldsJsonProvider extends AbstractJsonProvider<ILoggingEvent> {

    /** The other providers' field names in logback.xml. */
    static final Set<String> LAYOUT_FIELDS = Set.of("timestamp", "level", "logger", "thread", "message", "stack_trace");

    @Override
    public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
        String message = SecretMasker.mask(event.getFormattedMessage());
        generator.writeStringField("message", message);
        Map<String, String> mdc = event.getMDCPropertyMap();
        for (Map.Entry<String, String> pair : MessageKeyValues.parse(message).entrySet()) {
            if (!LAYOUT_FIELDS.contains(pair.getKey()) && (mdc == null || !mdc.containsKey(pair.getKey()))) {
                generator.writeStringField(pair.getKey(), pair.getValue());
            }
        }
    }
}
