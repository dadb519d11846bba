package com.pactcrm.connector.ops.logging;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;

/**
 * Which appender of logback.xml writes the log: {@code JSON} when {@code LOG_FORMAT} (environment variable or
 * system property) is {@code json}, in any case; {@code TEXT} for anything else. A definer rather than
 * {@code ref="${LOG_FORMAT}"}, because an unknown value there would silently leave the service with no log at all.
 */
public class LogFormat extends PropertyDefinerBase {

    private String format = "text";

    public void setFormat(String format) {
        this.format = format;
    }

    @Override
    public String getPropertyValue() {
        return "json".equals(format == null ? "" : format.strip().toLowerCase(Locale.ROOT)) ? "JSON" : "TEXT";
    }
}
