package com.pactcrm.connector.security;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.HookKeys;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Calls that make the connector call out before it knows the caller are bounded per client address and per portal:
 * past a limit the answer is 429 {@code application/problem+json} with {@code Retry-After}, and the OAuth server or the
 * portal hears nothing more of it (issue 11). Addresses come from {@code X-Real-IP}, as behind ingress-nginx.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InboundCallLimitIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock OAUTH = new StartedWireMock();
    @RegisterExtension
    static final StartedWireMock AMO = new StartedWireMock();
    @RegisterExtension
    static final StartedWireMock PORTAL = new StartedWireMock();
    static final String AMO_CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final int PER_ADDRESS = 3;
    static final int PER_PORTAL = 2;
    private static final AtomicInteger NEXT = new AtomicInteger(1);

    @Inject
    EmbeddedServer server;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = new HashMap<>(Map.of(
                "connector.inbound-limits.install.per-address", PER_ADDRESS + "/1m",
                "connector.inbound-limits.install.per-portal", PER_PORTAL + "/1m",
                "connector.inbound-limits.verify.per-address", PER_ADDRESS + "/1m",
                "connector.inbound-limits.verify.per-portal", PER_PORTAL + "/1m",
                "connector.inbound-limits.client-address-header", "X-Real-IP",
                "connector.bitrix24.client-id", "app.limit-test",
                "connector.bitrix24.client-secret", "b24-secret-limit-test",
                "connector.bitrix24.oauth-url", OAUTH.baseUrl(),
                "connector.bitrix24.scheme", "http"));
        p.putAll(Map.of(
                "connector.amocrm.client-id", AMO_CLIENT_ID,
                "connector.amocrm.client-secret", "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2",
                "connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback",
                "connector.amocrm.scheme", "http",
                "connector.amocrm.allowed-host-suffixes", "127.0.0.1"));
        return p;
    }

    @BeforeEach
    void refusingFakes() {
        OAUTH.resetAll();
        OAUTH.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":\"invalid_grant\",\"error_description\":\"Invalid refresh token\"}")));
        AMO.resetAll();
        AMO.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/problem+json")
                .withBody("{\"hint\":\"Authorization code has expired\",\"status\":400}")));
        PORTAL.resetAll();
        PORTAL.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":\"invalid_token\",\"error_description\":\"The access token provided is invalid.\"}")));
    }

    @Test
    void bitrix24InstallsOfOnePortalFromManyAddressesStopAtThePortalsLimit() {
        String memberId = memberId();
        for (int i = 0; i < PER_PORTAL; i++) {
            assertEquals(401, install(freshAddress(), memberId).statusCode(), "a refresh token the OAuth server refuses");
        }

        assertLimited(install(freshAddress(), memberId));
        assertLimited(postForm("/bitrix24/events", freshAddress(), "event=ONAPPINSTALL&auth[member_id]=" + memberId
                + "&auth[refresh_token]=r&auth[application_token]=t"));

        assertEquals(PER_PORTAL, OAUTH.getAllServeEvents().size(), "the OAuth server was asked past the limit");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm_account_id = ?", memberId));
    }

    @Test
    void bitrix24InstallsFromOneAddressStopAtTheAddresssLimitWhateverElseTheyClaim() {
        String address = freshAddress();
        for (int i = 0; i < PER_ADDRESS; i++) {
            assertEquals(401, install(address, memberId()).statusCode());
        }

        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(server.getURL() + "/bitrix24/install"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("X-Real-IP", address)
                // Only the header the operator named is read: these are anybody's to write.
                .header("X-Forwarded-For", freshAddress()).header("Forwarded", "for=" + freshAddress())
                .POST(HttpRequest.BodyPublishers.ofString(installForm(memberId()))).build());

        assertLimited(r);
        assertEquals(PER_ADDRESS, OAUTH.getAllServeEvents().size());
        assertEquals(401, install(freshAddress(), memberId()).statusCode(), "another address is not held back");
    }

    @Test
    void amoCrmInstallCallbacksForOneAccountStopAtItsLimit() {
        for (int i = 0; i < PER_PORTAL; i++) {
            assertEquals(400, amoCrmCallback(freshAddress()).statusCode(), "a code amoCRM refuses");
        }

        assertLimited(amoCrmCallback(freshAddress()));
        assertEquals(PER_PORTAL, AMO.getAllServeEvents().size(), "amoCRM's token endpoint was asked past the limit");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'AMOCRM'"));
    }

    @Test
    void theAmoCrmConnectLinkStopsIssuingStatesToOneAddress() {
        String address = freshAddress();
        long states = sql.count("SELECT COUNT(*) FROM amocrm_oauth_state");
        for (int i = 0; i < PER_ADDRESS; i++) {
            assertEquals(303, get("/amocrm/oauth/start", address).statusCode());
        }

        assertLimited(get("/amocrm/oauth/start", address));
        assertEquals(states + PER_ADDRESS, sql.count("SELECT COUNT(*) FROM amocrm_oauth_state"));
    }

    @Test
    void bitrix24FramesAndSessionsStopAskingThePortalAtTheLimits() {
        String memberId = memberId();
        sql.update("INSERT INTO installation (crm, crm_account_id, crm_host, status, hook_key, pact_hook_key) "
                + "VALUES ('BITRIX24', ?, ?, 'ACTIVE', ?, ?)", memberId, "127.0.0.1:" + PORTAL.port(), HookKeys.newKey(),
                HookKeys.newKey());
        String address = freshAddress();
        for (int i = 0; i < PER_PORTAL; i++) {
            assertEquals(401, session(address, memberId).statusCode(), "an AUTH_ID the portal refuses");
        }

        assertLimited(session(address, memberId));
        assertLimited(postForm("/bitrix24/placement?DOMAIN=127.0.0.1:" + PORTAL.port(), freshAddress(),
                "AUTH_ID=a&member_id=" + memberId + "&PLACEMENT=CRM_DEAL_DETAIL_TAB&PLACEMENT_OPTIONS=%7B%22ID%22%3A%228%22%7D"));
        assertEquals(PER_PORTAL, PORTAL.getAllServeEvents().size(), "the portal was asked past the limit");
    }

    private static void assertLimited(HttpResponse<String> r) {
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
        for (String internal : List.of("Exception", "java.", "com.pactcrm", "127.0.0.")) {
            assertFalse(r.body().contains(internal), "internal text in " + r.body());
        }
    }

    private HttpResponse<String> install(String address, String memberId) {
        return postForm("/bitrix24/install?DOMAIN=acme.bitrix24.com.br", address, installForm(memberId));
    }

    private static String installForm(String memberId) {
        return "AUTH_ID=a&REFRESH_ID=refresh-" + memberId + "&member_id=" + memberId + "&APPLICATION_TOKEN=t";
    }

    private HttpResponse<String> amoCrmCallback(String address) {
        return get("/amocrm/oauth/callback?code=def50200a1b2c3&referer=127.0.0.1:" + AMO.port() + "&from_widget=1&client_id="
                + AMO_CLIENT_ID, address);
    }

    private HttpResponse<String> session(String address, String memberId) {
        return send(HttpRequest.newBuilder(URI.create(server.getURL() + "/api/v1/sessions/bitrix24"))
                .header("Content-Type", "application/json").header("X-Real-IP", address)
                .POST(HttpRequest.BodyPublishers.ofString("{\"AUTH_ID\":\"frame-token\",\"DOMAIN\":\"127.0.0.1:" + PORTAL.port()
                        + "\",\"member_id\":\"" + memberId + "\"}")).build());
    }

    private HttpResponse<String> postForm(String path, String address, String body) {
        return send(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .header("Content-Type", "application/x-www-form-urlencoded").header("X-Real-IP", address)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private HttpResponse<String> get(String path, String address) {
        return send(HttpRequest.newBuilder(URI.create(server.getURL() + path)).header("X-Real-IP", address).GET().build());
    }

    /** A documentation address (RFC 5737) no other test of this class used. */
    private static String freshAddress() {
        int n = NEXT.getAndIncrement();
        return "198.51." + (n / 250) + "." + (n % 250 + 1);
    }

    private static String memberId() {
        return String.format("%032x", NEXT.getAndIncrement() + 0xabc000L);
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
