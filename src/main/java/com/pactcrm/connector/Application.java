package com.pactcrm.connector;

import io.micronaut.runtime.Micronaut;

/** Entry point of the Pact CRM Connector service. */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        Micronaut.run(Application.class, args);
    }
}
