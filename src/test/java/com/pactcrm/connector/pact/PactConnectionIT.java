package com.pactcrm.connector.pact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.pact.client.PactApiException;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Connecting Pact registers and activates our webhook; the fake Pact really posts its handshake to us. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PactConnectionIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final int PORT = freePort();

    @Inject
    PactConnection connection;
    @Inject
    TestInstallations installations;
    @Inject
    InstallationRepository repository;
    @Inject
    SecretCipher cipher;
    @Inject
    TestSql sql;
    @Inject
    SessionTokens sessions;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(),
                "micronaut.server.port", Integer.toString(PORT),
                "connector.public-url", "http://localhost:" + PORT);
    }

    @BeforeEach
    void reset() {
        PACT.reset();
        PACT.enableWebhookHandshakes();
    }

    @Test
    void connectingRegistersActivatesAndPassesPactsHandshake() {
        Installation installation = installations.create(CrmKind.AMOCRM, null, null, null);
        Installation connected = connection.connect(installation, " pact-admin-token-0123456789 ", 1L);

        String url = "http://localhost:" + PORT + "/pact/webhooks/" + installation.pactHookKey();
        assertEquals(1, PACT.webhooks().size());
        assertEquals(url, PACT.webhooks().get(0).url());
        assertTrue(PACT.webhooks().get(0).active(), "new webhooks start inactive: we must activate it");
        assertTrue(PACT.webhookHandshakes().stream().anyMatch(h -> h.url().equals(url) && h.status() == 200),
                PACT.webhookHandshakes().toString());
        Installation stored = repository.findById(connected.id()).orElseThrow();
        assertEquals(1L, stored.pactCompanyId());
        assertEquals(PACT.webhooks().get(0).id(), stored.pactWebhookId());
        assertEquals("pact-admin-token-0123456789", cipher.decrypt(stored.pactTokenEnc()));
        assertEquals("OK", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? AND component = 'PACT_WEBHOOK'",
                installation.id()).get("state"));

        connection.connect(stored, "pact-admin-token-0123456789", 1L);
        assertEquals(1, PACT.webhooks().size(), "connecting again reuses the webhook");
    }

    @Test
    void aRefusedTokenIsNotStored() {
        Installation installation = installations.create(CrmKind.AMOCRM, null, null, null);
        PACT.denyToken("pact-wrong-token-000000000", 401);
        PactApiException refused = assertThrows(PactApiException.class,
                () -> connection.connect(installation, "pact-wrong-token-000000000", 1L));
        assertEquals(Disposition.HEALTH, refused.disposition());
        assertEquals(null, repository.findById(installation.id()).orElseThrow().pactTokenEnc());
    }

    @Test
    void anAdminConnectsPactThroughTheWidgetApiAndANonAdminIsRefused() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, null, null, null);
        String admin = sessions.issue(installation.id(), "1", "Admin", true);
        String manager = sessions.issue(installation.id(), "2", "Manager", false);
        String body = "{\"apiToken\":\"pact-admin-token-9876543210\",\"companyId\":1}";

        assertEquals(403, put(manager, body).statusCode());
        HttpResponse<String> ok = put(admin, body);
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("/pact/webhooks/" + installation.pactHookKey()), ok.body());
        assertFalse(ok.body().contains("pact-admin-token"), "the token is never shown again");
        PACT.denyToken("pact-bad-token-00000000000", 401);
        HttpResponse<String> refused = put(admin, "{\"apiToken\":\"pact-bad-token-00000000000\",\"companyId\":1}");
        assertEquals(422, refused.statusCode());
        assertTrue(refused.body().contains("Pact refused the API token"), refused.body());
    }

    private HttpResponse<String> put(String token, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + PORT + "/api/v1/settings/pact"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
