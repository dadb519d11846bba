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
        Micronaut.run(Application.class, args);
    }
}
