package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.chat.PactOperatorRepository;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.RecordingCrmGateway;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The admin screens' widget API: server-side admin checks, settings, quick replies, journal, health, dry run. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WidgetAdminApiIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newHttpClient();

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    TestSql sql;
    @Inject
    RecordingCrmGateway crm;
    @Inject
    PactOperatorRepository operators;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl());
    }

    private HttpResponse<String> call(String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(String token, String method, String path, String body) throws Exception {
        HttpResponse<String> response = call(token, method, path, body);
        assertTrue(response.statusCode() / 100 == 2, method + " " + path + " → " + response.statusCode() + " " + response.body());
        return response.body().isEmpty() ? null : JSON.readTree(response.body());
    }

    @Test
    void aNonAdminSessionGets403FromEverySettingsEndpointWhateverThePageShows() throws Exception {
        Installation installation = installations.amoCrm(null);
        String manager = sessions.issue(installation.id(), "8123457", "Bruno", false);
        String admin = sessions.issue(installation.id(), "8123456", "Ana", true);
        long templateId = ok(admin, "POST", "/api/v1/templates", "{\"title\":\"Oi\",\"body\":\"Oi\"}").get("id").asLong();
        List<String[]> endpoints = List.of(
                new String[] {"GET", "/api/v1/settings", null},
                new String[] {"PUT", "/api/v1/settings", "{\"language\":\"en\"}"},
                new String[] {"PUT", "/api/v1/settings/pact", "{\"apiToken\":\"x\",\"companyId\":1}"},
                new String[] {"POST", "/api/v1/settings/pact/test", "{}"},
                new String[] {"GET", "/api/v1/health", null},
                new String[] {"GET", "/api/v1/journal", null},
                new String[] {"POST", "/api/v1/journal/event-1/retry", null},
                new String[] {"GET", "/api/v1/templates", null},
                new String[] {"POST", "/api/v1/templates", "{\"title\":\"t\",\"body\":\"b\"}"},
                new String[] {"PUT", "/api/v1/templates/" + templateId, "{\"title\":\"t\",\"body\":\"b\"}"},
                new String[] {"DELETE", "/api/v1/templates/" + templateId, null},
                new String[] {"POST", "/api/v1/dry-run", "{\"provider\":\"whatsapp\",\"phone\":\"5511987654321\"}"});
        for (String[] e : endpoints) {
            HttpResponse<String> refused = call(manager, e[0], e[1], e[2]);
            assertEquals(403, refused.statusCode(), e[0] + " " + e[1]);
            assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""), e[1]);
            assertEquals(401, call(null, e[0], e[1], e[2]).statusCode(), e[0] + " " + e[1] + " without a session");
        }
        assertEquals("Oi", ok(admin, "GET", "/api/v1/templates", null).at("/templates/0/title").asText(),
                "nothing the manager tried changed a template");
        assertEquals(200, call(manager, "GET", "/api/v1/chats?entityType=lead&entityId=1", null).statusCode(),
                "the card itself stays open to every user");
    }

    @Test
    void settingsSaveTogglesStagesLanguageAndTheUserMappingSuggestedByName() throws Exception {
        Installation installation = installations.amoCrm("{\"someOtherFeature\":42}");
        String admin = sessions.issue(installation.id(), "8123456", "Ana", true);
        operators.seen(installation.id(), 501L, "ana souza");
        operators.seen(installation.id(), 502L, "Carla");

        JsonNode before = ok(admin, "GET", "/api/v1/settings", null);
        assertEquals("pt", before.get("language").asText(), "pt is the default");
        assertTrue(before.at("/pact/connected").asBoolean());
        assertFalse(before.toString().contains(TestInstallations.PACT_TOKEN), "the Pact token is never returned");
        JsonNode ana = row(before, "8123456");
        assertEquals("SUGGESTED", ana.get("source").asText(), "same name, case aside");
        assertEquals(501, ana.get("pactUserId").asLong());
        assertEquals("NONE", row(before, "8123457").get("source").asText());
        assertEquals(2, before.get("pactOperators").size());

        JsonNode after = ok(admin, "PUT", "/api/v1/settings", """
                {"toggles":{"statuses":true,"history":true,"conversationStates":false,"comments":true,"autoCreateClients":true},
                 "responsibleFrom":"contact","language":"en",
                 "newClientStages":{"whatsapp":{"pipelineId":11,"statusId":22}},
                 "userMappings":[{"crmUserId":"8123456","crmUserName":"Ana Souza","pactUserId":501},
                                 {"crmUserId":"8123457","crmUserName":"Bruno Lima","pactUserId":502}]}""");
        assertEquals("en", after.get("language").asText());
        assertEquals("contact", after.get("responsibleFrom").asText());
        assertTrue(after.at("/toggles/history").asBoolean());
        assertFalse(after.at("/toggles/conversationStates").asBoolean());
        assertEquals(22, after.at("/newClientStages/whatsapp/statusId").asLong());
        assertEquals("AUTO", row(after, "8123456").get("source").asText());
        assertEquals("MANUAL", row(after, "8123457").get("source").asText());
        assertEquals("Carla", row(after, "8123457").get("pactUserName").asText());
        String stored = (String) sql.queryOne("SELECT settings FROM installation WHERE id = ?", installation.id()).get("settings");
        assertTrue(stored.contains("\"someOtherFeature\":42"), "keys of other features survive: " + stored);

        HttpResponse<String> bad = call(admin, "PUT", "/api/v1/settings", "{\"language\":\"de\"}");
        assertEquals(400, bad.statusCode());
        assertEquals("application/problem+json", bad.headers().firstValue("Content-Type").orElse(""));
        assertEquals(400, call(admin, "PUT", "/api/v1/settings", "{\"newClientStages\":{\"fax\":{\"pipelineId\":1}}}").statusCode());
    }

    private static JsonNode row(JsonNode settings, String crmUserId) {
        for (JsonNode u : settings.get("users")) {
            if (u.get("crmUserId").asText().equals(crmUserId)) {
                return u;
            }
        }
        throw new AssertionError("no user " + crmUserId + " in " + settings);
    }

    @Test
    void quickRepliesAreFilledOnTheServerForTheCardsClientAndUser() throws Exception {
        Installation installation = installations.amoCrm(null);
        String admin = sessions.issue(installation.id(), "8123456", "Ana", true);
        HttpResponse<String> unknown = call(admin, "POST", "/api/v1/templates", "{\"title\":\"x\",\"body\":\"Oi {{lead.price}}\"}");
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("lead.price"), unknown.body());
        ok(admin, "POST", "/api/v1/templates", "{\"title\":\"Saudação\",\"body\":\"Olá {{contact.name}}, aqui é {{ user.name }}!\"}");

        String manager = sessions.issue(installation.id(), "8123457", "Bruno", false);
        JsonNode context = ok(manager, "GET", "/api/v1/context?entityType=lead&entityId=77", null);
        assertEquals("Olá João Silva, aqui é Bruno!", context.at("/templates/0/text").asText());
        assertEquals("pt", context.get("language").asText());
        assertFalse(context.at("/user/admin").asBoolean());
    }

    @Test
    void theDryRunTellsWhatWouldHappenAndChangesNothing() throws Exception {
        Installation installation = installations.amoCrm(
                "{\"autoCreateClients\":true,\"newClientStages\":{\"whatsapp\":{\"pipelineId\":11,\"statusId\":22}}}");
        String admin = sessions.issue(installation.id(), "8123456", "Ana", true);
        crm.knowContact(installation, "5511911112222", "9001");
        int contactsBefore = crm.createdContacts().size();

        JsonNode created = ok(admin, "POST", "/api/v1/dry-run", "{\"provider\":\"whatsapp\",\"phone\":\"+55 11 98765-4321\"}");
        assertEquals("CREATED", created.get("client").asText());
        assertEquals("5511987654321", created.get("phone").asText());
        assertEquals(11, created.at("/stage/pipelineId").asLong());
        assertEquals("crm-default", created.get("responsible").asText());
        JsonNode found = ok(admin, "POST", "/api/v1/dry-run", "{\"provider\":\"whatsapp\",\"phone\":\"5511911112222\"}");
        assertEquals("FOUND", found.get("client").asText());
        assertEquals("9001", found.at("/entity/id").asText());
        assertEquals(400, call(admin, "POST", "/api/v1/dry-run", "{\"provider\":\"whatsapp\",\"phone\":\"call me\"}").statusCode());

        assertEquals(contactsBefore, crm.createdContacts().size(), "no contact created in the CRM");
        for (String table : List.of("outbox_command", "inbound_event", "conversation_link", "message_link", "sync_log")) {
            assertEquals(0, sql.count("SELECT COUNT(*) FROM " + table + " WHERE installation_id = ?", installation.id()), table);
        }
    }

    @Test
    void theJournalFindsAnEventByConversationAndTheHealthShowsQueuesAndChannels() throws Exception {
        Installation installation = installations.amoCrm(null);
        String admin = sessions.issue(installation.id(), "8123456", "Ana", true);
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();
        Http.postJson(hook, PactWebhooks.message("message-update-delivered", 880011L, 770011L));
        Http.postJson(hook, PactWebhooks.fixture("auth-update-disabled"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 2);

        JsonNode byConversation = ok(admin, "GET", "/api/v1/journal?conversation=770011", null);
        assertEquals(1, byConversation.get("entries").size(), byConversation.toString());
        assertEquals("DONE", byConversation.at("/entries/0/state").asText());
        assertEquals(0, ok(admin, "GET", "/api/v1/journal?conversation=77001", null).get("entries").size(),
                "a part of the id is not the id");
        assertEquals(2, ok(admin, "GET", "/api/v1/journal", null).get("entries").size());
        String id = byConversation.at("/entries/0/id").asText();
        assertEquals(409, call(admin, "POST", "/api/v1/journal/" + id + "/retry", null).statusCode(), "a done event is not retried");
        assertEquals(400, call(admin, "POST", "/api/v1/journal/drop-table/retry", null).statusCode());

        JsonNode health = ok(admin, "GET", "/api/v1/health", null);
        assertEquals(0, health.at("/journal/pending").asLong());
        Instant lastSync = Instant.parse(health.get("lastSyncAt").asText());
        assertTrue(lastSync.isAfter(Instant.now().minus(Duration.ofMinutes(5))), "ISO-8601, as every instant: " + health);
        Instant.parse(byConversation.at("/entries/0/at").asText());
        JsonNode channel = null;
        for (JsonNode c : health.get("components")) {
            if (c.get("group").asText().equals("pact-channel")) {
                channel = c;
            }
        }
        assertEquals("DISABLED", channel.get("state").asText(), health.toString());
        assertFalse(channel.get("ok").asBoolean());
        JsonNode context = ok(admin, "GET", "/api/v1/context?entityType=lead&entityId=1", null);
        assertFalse(context.get("channels").toString().contains("\"whatsapp\""), "the disabled WhatsApp channel is not offered");
    }
}
