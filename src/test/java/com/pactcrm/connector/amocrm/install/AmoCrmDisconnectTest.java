package com.pactcrm.connector.amocrm.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
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

@MicronautTest(transactional = false)
@Property(name = "connector.amocrm.client-id", value = AmoCrmDisconnectTest.CLIENT_ID)
@Property(name = "connector.amocrm.client-secret", value = AmoCrmDisconnectTest.CLIENT_SECRET)
class AmoCrmDisconnectTest {

    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final String CLIENT_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    InstallationRepository repository;

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
        Installation installation = installations.amoCrm(null);
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
        Installation installation = installations.amoCrm(null);
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
}
