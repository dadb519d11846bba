package com.pactcrm.connector.security;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.pact.client.PactApiException;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestInstallations;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pact's API and Bitrix24's OAuth server answering with a redirect to another host: the token and the client secret
 * stay where they were sent, nothing learns the other host, and the caller gets a clear error (issue 11, finding 7;
 * amoCRM's token endpoint: AmoCrmTrustIT, a Bitrix24 portal's own 302: Bitrix24TrustIT).
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboundRedirectIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock PACT = new StartedWireMock();
    @RegisterExtension
    static final StartedWireMock OAUTH = new StartedWireMock();
    /** Where the redirects point: it must never be called. */
    @RegisterExtension
    static final StartedWireMock ELSEWHERE = new StartedWireMock();
    static final String PACT_TOKEN = "pact-private-token-redirected-5d2c";
    static final String CLIENT_SECRET = "b24-client-secret-redirect-test-9f1e";
    static final String MEMBER_ID = "0123456789abcdef0123456789abcdef";

    @Inject
    EmbeddedServer server;
    @Inject
    TestSql sql;
    @Inject
    TestInstallations testInstallations;
    @Inject
    InstallationRepository installations;
    @Inject
    SessionTokens sessions;
    @Inject
    PactGateway pact;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.pact.api-url", PACT.baseUrl(),
                "connector.bitrix24.client-id", "app.redirect-test",
                "connector.bitrix24.client-secret", CLIENT_SECRET,
                "connector.bitrix24.oauth-url", OAUTH.baseUrl(),
                "connector.bitrix24.scheme", "http");
    }

    @BeforeEach
    void redirecting() {
        for (WireMockServer server : List.of(PACT, OAUTH)) {
            server.resetAll();
            server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(302)
                    .withHeader("Location", ELSEWHERE.baseUrl() + "/moved")));
        }
        ELSEWHERE.resetAll();
        ELSEWHERE.stubFor(any(anyUrl()).willReturn(okJson("{\"access_token\":\"a\",\"refresh_token\":\"r\","
                + "\"member_id\":\"" + MEMBER_ID + "\",\"client_endpoint\":\"http://" + "127.0.0.1:" + ELSEWHERE.port()
                + "/rest/\",\"webhooks\":[],\"message\":{\"id\":1}}")));
    }

    @Test
    void bitrix24OAuthServerRedirectIsNotFollowedWithTheSecretAndNothingIsInstalled() {
        HttpResponse<String> r = post("/bitrix24/install?DOMAIN=acme.bitrix24.com.br", "application/x-www-form-urlencoded",
                "AUTH_ID=a&REFRESH_ID=installer-refresh-token&member_id=" + MEMBER_ID + "&APPLICATION_TOKEN=t", null);

        assertClearRefusal(502, r);
        assertEquals(1, OAUTH.getAllServeEvents().size(), "the OAuth server was asked once");
        assertEquals(0, ELSEWHERE.getAllServeEvents().size(), "the client secret followed the redirect");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'BITRIX24'"), "an installation was stored");
    }

    @Test
    void pactRedirectIsNotFollowedWhenAnAdminConnectsAndNothingIsStored() {
        Installation installation = testInstallations.create(CrmKind.AMOCRM, null, null, null);
        String admin = sessions.issue(installation.id(), "1", "Admin", true);

        HttpResponse<String> r = post("/api/v1/settings/pact", "application/json",
                "{\"apiToken\":\"" + PACT_TOKEN + "\",\"companyId\":7}", admin, "PUT");

        assertClearRefusal(422, r);
        assertTrue(r.body().contains("redirect"), "the admin is told what happened: " + r.body());
        assertEquals(0, ELSEWHERE.getAllServeEvents().size(), "the Pact token followed the redirect");
        Installation after = installations.findById(installation.id()).orElseThrow();
        assertNull(after.pactTokenEnc(), "the token was stored");
        assertNull(after.pactCompanyId());
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation_health WHERE installation_id = ?", installation.id()));
    }

    @Test
    void aRedirectedSendIsAFailureToRetryNotASentMessage() {
        PactApiException e = assertThrows(PactApiException.class, () -> pact.writeFirst(
                new PactCredentials(PACT_TOKEN, 7), PactWriteFirstRequest.whatsapp("5511987654321", "Olá")));

        assertEquals(302, e.status());
        assertEquals(Disposition.RETRY, e.disposition(), "a redirect is answered before the write: nothing was sent");
        assertTrue(e.getMessage().contains("redirect"), e.getMessage());
        assertFalse(e.getMessage().contains(PACT_TOKEN));
        assertEquals(0, ELSEWHERE.getAllServeEvents().size(), "the Pact token followed the redirect");
    }

    private HttpResponse<String> post(String path, String contentType, String body, String session) {
        return post(path, contentType, body, session, "POST");
    }

    private HttpResponse<String> post(String path, String contentType, String body, String session, String method) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.getURL() + path)).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            b.header("Authorization", "Bearer " + session);
        }
        try {
            return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertClearRefusal(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        for (String internal : List.of("Exception", "java.", "com.pactcrm", CLIENT_SECRET, PACT_TOKEN)) {
            assertFalse(r.body().contains(internal), "internal text in " + r.body());
        }
    }
}
