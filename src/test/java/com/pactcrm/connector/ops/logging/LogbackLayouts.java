package com.pactcrm.connector.ops.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.joran.spi.JoranException;
import java.util.ArrayList;
import java.util.List;

/** The service's own logback.xml, configured in a context of its own, so a test encodes events exactly as the service would. */
public final class LogbackLayouts {

    private LogbackLayouts() {
    }

    /** The encoder of the one appender logback.xml gives the root logger, with {@code LOG_FORMAT} as given (null: unset). */
    public static Encoder<ILoggingEvent> encoder(String logFormat) {
        LoggerContext context = new LoggerContext();
        if (logFormat != null) {
            context.putProperty("LOG_FORMAT", logFormat);
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(LogbackLayouts.class.getResource("/logback.xml"));
        } catch (JoranException e) {
            throw new IllegalStateException(e);
        }
        List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
        context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(appenders::add);
        if (appenders.size() != 1) {
            throw new IllegalStateException("logback.xml gives the root logger " + appenders.size() + " appenders");
        }
        return ((OutputStreamAppender<ILoggingEvent>) appenders.get(0)).getEncoder();
    }
}
