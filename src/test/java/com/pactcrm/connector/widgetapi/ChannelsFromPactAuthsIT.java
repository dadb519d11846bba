package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The card's write-first channels come from Pact's auths, read once and again after an {@code auth} webhook. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChannelsFromPactAuthsIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl());
    }

    private List<String> channels(String token) throws Exception {
        JsonNode context = JSON.readTree(Http.get(server.getURL() + "/api/v1/context?entityType=lead&entityId=321",
                "Bearer " + token).body());
        List<String> out = new ArrayList<>();
        context.get("channels").forEach(c -> out.add(c.asText()));
        return out;
    }

    private void authWebhook(Installation installation, long authId, long companyId, String provider, String state)
            throws Exception {
        ObjectNode body = (ObjectNode) JSON.readTree(PactWebhooks.fixture("auth-update-disabled"));
        ((ObjectNode) body.get("object")).put("id", authId).put("company_id", companyId).put("provider", provider)
                .put("state", state);
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), body.toString())
                .statusCode());
    }

    @Test
    void oneLoggedOutWhatsAppHidesOnlyWhatsAppAndTheListIsReadAgainAfterAnAuthWebhook() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 41L, null);
        String token = sessions.issue(installation.id(), "1", "Ana", false);
        long whatsapp = PACT.addAuth(41L, "whatsapp", "enabled", "5511912345678");
        PACT.addAuth(41L, "whatsapp_business", "enabled", "5511900000000");
        PACT.addAuth(41L, "telegram_personal", "disabled", null);
        PACT.addAuth(41L, "instagram_business", "enabled", null);

        assertEquals(List.of("whatsapp", "whatsapp_business"), channels(token));
        assertEquals(List.of("whatsapp", "whatsapp_business"), channels(token));
        assertEquals(1, PACT.callCount("list-auths"), "cached between card openings");

        PACT.setAuthState(whatsapp, "disabled");
        authWebhook(installation, whatsapp, 41L, "whatsapp", "disabled");
        await().atMost(Duration.ofSeconds(20)).until(() -> channels(token).equals(List.of("whatsapp_business")));
        assertEquals(2, PACT.callCount("list-auths"), "read again once, after the auth webhook");
    }

    @Test
    void whenPactCannotListAuthsEachProviderIsJudgedByItsOwnWebhooks() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 42L, null);
        String token = sessions.issue(installation.id(), "1", "Ana", false);
        authWebhook(installation, 990_001L, 42L, "whatsapp", "disabled");
        await().atMost(Duration.ofSeconds(20)).until(() -> !channels(token).contains("whatsapp"));
        assertEquals(List.of("whatsapp_business", "telegram_personal"), channels(token),
                "a WhatsApp logged out says nothing about WABA or Telegram Personal");
    }
}
