package com.pactcrm.connector.widgetapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Phones typed in national form reach Pact in E.164 with the installation's default country; others are refused. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PhoneDefaultCountryIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();

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

    private HttpResponse<String> send(String method, String token, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> writeFirst(String token, String requestId, String phone) throws Exception {
        return send("POST", token, "/api/v1/chats", "{\"requestId\":\"" + requestId + "\",\"entityType\":\"lead\","
                + "\"entityId\":\"77\",\"provider\":\"whatsapp\",\"phone\":\"" + phone + "\",\"text\":\"Olá " + requestId + "\"}");
    }

    @Test
    void aRussianAccountsNationalNumberAndABrazilianOneAfterTheAdminChoseBrazil() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String admin = sessions.issue(installation.id(), "1", "Ana", true);
        String manager = sessions.issue(installation.id(), "2", "Bruno", false);

        HttpResponse<String> suggested = send("GET", admin, "/api/v1/settings/phone", null);
        assertTrue(suggested.body().contains("\"suggested\":\"RU\""), "an .amocrm.ru account: " + suggested.body());
        assertTrue(suggested.body().contains("{\"code\":\"BR\",\"callingCode\":55}")
                && suggested.body().contains("{\"code\":\"RU\",\"callingCode\":7}"), "the countries to choose from: " + suggested.body());
        assertEquals(200, writeFirst(manager, "ru-1", "8 (999) 123-45-67").statusCode());
        assertEquals("79991234567", PACT.messages().stream().filter(m -> "Olá ru-1".equals(m.text())).findFirst()
                .orElseThrow().phone());

        assertEquals(403, send("PUT", manager, "/api/v1/settings/phone", "{\"defaultCountry\":\"BR\"}").statusCode());
        assertEquals(400, send("PUT", admin, "/api/v1/settings/phone", "{\"defaultCountry\":\"XX\"}").statusCode());
        HttpResponse<String> brazil = send("PUT", admin, "/api/v1/settings/phone", "{\"defaultCountry\":\"br\"}");
        assertTrue(brazil.body().contains("\"defaultCountry\":\"BR\""), brazil.body());
        assertEquals(200, writeFirst(manager, "br-1", "(11) 98765-4321").statusCode());
        assertEquals("5511987654321", PACT.messages().stream().filter(m -> "Olá br-1".equals(m.text())).findFirst()
                .orElseThrow().phone());

        HttpResponse<String> invalid = writeFirst(manager, "br-2", "123-45");
        assertEquals(400, invalid.statusCode());
        assertTrue(invalid.body().contains("not a valid phone number in Brazil"), invalid.body());
        assertEquals(0, PACT.messagesWithText("Olá br-2"));
    }
}
