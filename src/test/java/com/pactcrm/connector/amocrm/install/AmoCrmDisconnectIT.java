package com.pactcrm.connector.amocrm.install;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.annotation.Property;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * amoCRM's "integration disabled" hook: a forged signature changes nothing, a signed one disconnects when amoCRM has
 * withdrawn the grant, and a replayed one (the grant still honoured, e.g. after a re-install) changes nothing.
 */
@MicronautTest(transactional = false)
@Property(name = "connector.amocrm.client-id", value = AmoCrmDisconnectIT.CLIENT_ID)
@Property(name = "connector.amocrm.client-secret", value = AmoCrmDisconnectIT.CLIENT_SECRET)
@Property(name = "connector.amocrm.scheme", value = "http")
@Property(name = "connector.amocrm.allowed-host-suffixes", value = "127.0.0.1")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmDisconnectIT {

    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final String CLIENT_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";
    @RegisterExtension
    static final StartedWireMock AMO = new StartedWireMock();

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    InstallationRepository repository;
    @Inject
    TestSql sql;

    /** An installation whose account lives at the amoCRM fake, which honours its grant or not. */
    private Installation installedAtTheFake(boolean grantHonoured) {
        AMO.resetAll();
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).willReturn(grantHonoured
                ? okJson("{\"token_type\":\"Bearer\",\"expires_in\":86400,\"access_token\":\"amo-access-2\","
                        + "\"refresh_token\":\"amo-refresh-2\"}")
                // What amoCRM answers for a grant it withdrew (amocrm.md §1.4, §7.2).
                : aResponse().withStatus(401).withHeader("Content-Type", "application/problem+json").withBody(
                        "{\"hint\":\"Token has been revoked\",\"title\":\"Unauthorized\",\"status\":401,"
                                + "\"detail\":\"invalid_grant\"}")));
        Installation installation = installations.amoCrm(null);
        sql.update("UPDATE installation SET crm_host = ? WHERE id = ?", "127.0.0.1:" + AMO.port(), installation.id());
        return repository.findById(installation.id()).orElseThrow();
    }

    /** What amoCRM computes (amocrm.md §1.6), done the test's own way. */
    static String sign(String secret, String clientId, String accountId) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal((clientId + "|" + accountId).getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> disconnect(String accountId, String clientUuid, String signature) {
        return Http.get(server.getURL() + "/amocrm/disconnect?account_id=" + accountId + "&client_uuid=" + clientUuid
                + "&signature=" + signature);
    }

    @Test
    void aForgedSignatureOrAnotherIntegrationIsRefused() throws Exception {
        Installation installation = installedAtTheFake(false);
        HttpResponse<String> forged = disconnect(installation.crmAccountId(), CLIENT_ID,
                sign("not-the-secret", CLIENT_ID, installation.crmAccountId()));
        assertEquals(401, forged.statusCode());
        assertEquals("application/problem+json", forged.headers().firstValue("Content-Type").orElse(""));
        String other = "00000000-0000-0000-0000-000000000000";
        assertEquals(401, disconnect(installation.crmAccountId(), other, sign(CLIENT_SECRET, other, installation.crmAccountId()))
                .statusCode());
        assertEquals(InstallationStatus.ACTIVE, repository.findById(installation.id()).orElseThrow().status());
    }

    @Test
    void aSignedDisconnectDeactivatesWipesSecretsAndLaterWebhooksAreRefused() throws Exception {
        Installation installation = installedAtTheFake(false);
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.fixture("message-update-read")).statusCode());

        HttpResponse<String> response = disconnect(installation.crmAccountId(), CLIENT_ID,
                sign(CLIENT_SECRET, CLIENT_ID, installation.crmAccountId()));

        assertEquals(200, response.statusCode());
        Installation stored = repository.findById(installation.id()).orElseThrow();
        assertEquals(InstallationStatus.INACTIVE, stored.status());
        assertNull(stored.accessTokenEnc());
        assertNull(stored.refreshTokenEnc());
        assertNull(stored.pactTokenEnc());
        assertEquals(404, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.fixture("message-update-delivered")).statusCode(), "webhooks of a disconnected installation");
    }

    @Test
    void aReplayedDisconnectWhileAmoCrmStillHonoursTheGrantChangesNothing() throws Exception {
        Installation installation = installedAtTheFake(true);

        HttpResponse<String> replay = disconnect(installation.crmAccountId(), CLIENT_ID,
                sign(CLIENT_SECRET, CLIENT_ID, installation.crmAccountId()));

        assertEquals(409, replay.statusCode(), replay.body());
        assertEquals("application/problem+json", replay.headers().firstValue("Content-Type").orElse(""));
        Installation stored = repository.findById(installation.id()).orElseThrow();
        assertEquals(InstallationStatus.ACTIVE, stored.status());
        assertNotNull(stored.refreshTokenEnc());
        assertNotNull(stored.pactTokenEnc(), "the Pact connection is kept");
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.fixture("message-update-read")).statusCode());
    }
}
