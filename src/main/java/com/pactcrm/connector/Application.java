package com.pactcrm.connector;

import io.micronaut.runtime.Micronaut;
import java.util.TimeZone;

/** Entry point of the Pact CRM Connector service. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        // DATETIME columns hold UTC; the JDBC driver converts with the JVM's zone.
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        // No ASCII-art banner: with LOG_FORMAT=json every line on stdout must be a JSON object.
        Micronaut.build(args).mainClass(Application.class).banner(false).start();
    }
}
