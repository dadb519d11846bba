package com.pactcrm.connector.testsupport;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A WireMock server for a {@code @RegisterExtension static final} field: started when built, stopped after the class.
 * WireMock's own {@code WireMockExtension} starts its server in {@code beforeAll}, which JUnit runs after
 * {@code @MicronautTest}'s: the application context would ask for the fake's address before it has one.
 */
public final class StartedWireMock extends WireMockServer implements AfterAllCallback {

    /** On a free loopback port. */
    public StartedWireMock() {
        this(options().dynamicPort().bindAddress("127.0.0.1"));
    }

    public StartedWireMock(WireMockConfiguration options) {
        super(options);
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }
}
