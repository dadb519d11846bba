package com.pactcrm.connector.bitrix24;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.bitrix24.gateway.Bitrix24Gateway;
import com.pactcrm.connector.crm.CrmEntityRef;
import com.pactcrm.connector.crm.CrmUser;
import com.pactcrm.connector.installation.Installation;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the settings screens ask of a Bitrix24 portal: its users for the mapping table ({@code user.get}, paged)
 * and the dry run's read-only phone lookup ({@code crm.duplicate.findbycomm}), through the widget API with a
 * session the portal vouched for.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24WidgetApiIT extends Bitrix24TestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Bitrix24Gateway gateway;

    Installation installation;

    @BeforeEach
    void installedPortal() {
        b24.reset();
        pact.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        installation = installWithPact();
    }

    @Test
    void theUserMappingListsEveryActiveEmployeeOverSeveralPages() throws Exception {
        for (long id = 1; id <= 120; id++) {
            b24.putUser(id, "Pessoa" + id, "Silva", "pessoa" + id + "@acme.com.br", id != 17, "employee");
        }
        b24.putUser(121, "Cliente", "Externo", "cliente@parceiro.com", true, "extranet");
        b24.putUser(122, "Ana", "", "", true, "employee");

        List<CrmUser> users = gateway.users(installation);

        assertEquals(120, users.size(), "120 employees, one inactive, plus Ana; no extranet user");
        assertFalse(users.stream().anyMatch(u -> u.id().equals("17") || u.id().equals("121")));
        assertEquals(new CrmUser("1", "Pessoa1 Silva", "pessoa1@acme.com.br"), users.get(0));
        assertEquals(new CrmUser("122", "Ana", null), users.get(users.size() - 1));
        assertEquals(3, b24.calls("user.get").size(), "pages of 50: 50 + 50 + 20");

        JsonNode settings = JSON.readTree(api("GET", "/api/v1/settings", adminToken(), null).body());
        assertTrue(settings.get("crmUsersAvailable").asBoolean());
        assertEquals(120, settings.get("users").size());
        assertEquals("Pessoa2 Silva", settings.at("/users/1/crmUserName").asText());
    }

    @Test
    void theDryRunFindsAContactByPhoneAndCreatesNothing() throws Exception {
        b24.putContact("9001", "+55 11 98765-4321");
        sql.update("UPDATE installation SET settings = ? WHERE id = ?",
                "{\"autoCreateClients\":true,\"newClientStages\":{\"whatsapp\":{\"pipelineId\":3}}}", installation.id());
        String admin = adminToken();
        int before = b24.calls().size();

        assertEquals(Optional.of(new CrmEntityRef("contact", "9001")), gateway.findClientByPhone(installation, "5511987654321"));
        JsonNode found = JSON.readTree(api("POST", "/api/v1/dry-run", admin,
                "{\"provider\":\"whatsapp\",\"phone\":\"+55 (11) 98765-4321\"}").body());
        assertEquals("FOUND", found.get("client").asText(), found.toString());
        assertEquals("9001", found.at("/entity/id").asText());
        JsonNode unknown = JSON.readTree(api("POST", "/api/v1/dry-run", admin,
                "{\"provider\":\"whatsapp\",\"phone\":\"+55 11 91234-0000\"}").body());
        assertEquals("CREATED", unknown.get("client").asText(), unknown.toString());
        assertEquals(3, unknown.at("/stage/pipelineId").asLong());

        List<String> calls = b24.calls().subList(before, b24.calls().size()).stream().map(Bitrix24Fake.Call::method).toList();
        assertEquals(List.of("crm.duplicate.findbycomm", "crm.duplicate.findbycomm", "crm.duplicate.findbycomm"), calls,
                "the dry run only reads");
        assertEquals(1, b24.items(Bitrix24Gateway.CONTACT).size());
    }

    private String adminToken() throws Exception {
        String body = JSON.createObjectNode().put("AUTH_ID", b24.userToken(Bitrix24Fake.INSTALLER_USER))
                .put("DOMAIN", b24.host()).put("member_id", Bitrix24Fake.MEMBER_ID).toString();
        HttpResponse<String> session = api("POST", "/api/v1/sessions/bitrix24", null, body);
        assertEquals(200, session.statusCode(), session.body());
        JsonNode json = JSON.readTree(session.body());
        assertTrue(json.at("/user/admin").asBoolean());
        assertTrue(Instant.parse(json.get("expiresAt").asText()).isAfter(Instant.now()), "ISO-8601: " + json);
        return json.get("token").asText();
    }

    private HttpResponse<String> api(String method, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.getURL() + path)).header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }
}
