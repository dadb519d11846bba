package com.pactcrm.connector.bitrix24;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The CRM-agnostic flows with a Bitrix24 portal, end to end: Bitrix24 events and Pact webhooks through journal,
 * use-cases and outbox to the fake portal and the fake Pact; the card frame, its session and "write first".
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24FlowIT extends Bitrix24TestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    StartChatUseCase startChat;
    @Inject
    UserMappingRepository users;

    Installation installation;

    @BeforeEach
    void installedPortal() {
        b24.reset();
        pact.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        installation = installWithPact();
        b24.putContact("9001", "+55 11 98765-4321");
    }

    private long chatOnDeal(String dealId) {
        startChat.start(installation, UUID.randomUUID().toString(), "deal", dealId,
                PactWriteFirstRequest.whatsapp("5511987654321", "Olá, aqui é a Ana"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? AND crm_entity_id = ?", installation.id(), dealId) == 1);
        return ((Number) sql.queryOne("SELECT pact_conversation_id FROM conversation_link WHERE installation_id = ? AND crm_entity_id = ?",
                installation.id(), dealId).get("pact_conversation_id")).longValue();
    }

    private void awaitDone(long count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND source = 'BITRIX24' AND state = 'DONE'",
                installation.id()) == count);
    }

    private String lastOutcome() {
        return sql.query("SELECT outcome FROM inbound_event WHERE installation_id = ? AND source = 'BITRIX24' ORDER BY id DESC",
                installation.id()).get(0).get("outcome").toString();
    }

    @Test
    void aChangedResponsibleBecomesThePactAssigneeAndAnUnchangedOneCallsNothing() {
        b24.putDeal("8061", "9001", "7");
        users.save(installation.id(), "7", "Marina Costa", 77L, "Marina", "MANUAL");
        users.save(installation.id(), "8", "Rafael Lima", 88L, "Rafael", "MANUAL");
        long conversation = chatOnDeal("8061");

        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "8061")).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(77L).equals(pact.conversation(conversation).assigneeId()));

        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update-automation", "8061")).statusCode());
        awaitDone(2);
        assertTrue(lastOutcome().contains("unchanged"), lastOutcome());
        assertEquals(1, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'PACT_UPDATE_CONVERSATION'",
                installation.id()), "an unchanged responsible sends nothing to Pact");

        b24.putDeal("8061", "9001", "8");
        assertEquals(200, postEvent(Bitrix24Fake.event("deal-update", "8061").replace("ts=1766047124", "ts=1766047300"))
                .statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(88L).equals(pact.conversation(conversation).assigneeId()));
        assertTrue(b24.calls("crm.item.get").size() >= 3, "each event re-read the deal");
    }

    @Test
    void aPersonsCommentBecomesThePactCommentAndTheConnectorsOwnCommentNothing() {
        b24.putDeal("8061", "9001", "7");
        long conversation = chatOnDeal("8061");
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8061").size() == 1);
        long own = b24.comments("deal", "8061").get(0).id();
        long person = b24.personComment("deal", "8061", "7", "Cliente pediu retorno amanhã às 10h");

        assertEquals(200, postEvent(Bitrix24Fake.event("timeline-comment-add", Long.toString(person))).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> pact.conversation(conversation).note() != null);
        assertTrue(pact.conversation(conversation).note().contains("Marina Costa: Cliente pediu retorno amanhã às 10h"),
                pact.conversation(conversation).note());

        assertEquals(200, postEvent(Bitrix24Fake.event("timeline-comment-add", Long.toString(own))).statusCode());
        awaitDone(2);
        assertTrue(lastOutcome().contains("connector's own"), lastOutcome());
        assertEquals(1, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'PACT_CONVERSATION_NOTE'",
                installation.id()), "our own comment never echoes back to Pact");
    }

    @Test
    void pactStatusesBecomeOneTimelineCommentEditedInPlace() {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572213, 'deal', '8062')", installation.id());
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();

        Http.postJson(hook, PactWebhooks.fixture("message-create-outgoing"));
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8062").size() == 1);
        assertTrue(b24.comments("deal", "8062").get(0).text().contains("na fila"), b24.comments("deal", "8062").get(0).text());
        Http.postJson(hook, PactWebhooks.fixture("message-update-read"));
        Http.postJson(hook, PactWebhooks.fixture("message-update-read"));
        Http.postJson(hook, PactWebhooks.fixture("message-update-delivered"));
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8062").get(0).text().contains("✓✓ lida"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? "
                + "AND target = 'CRM' AND state NOT IN ('DONE', 'DEAD')", installation.id()) == 0);

        List<Bitrix24Fake.Comment> comments = b24.comments("deal", "8062");
        assertEquals(1, comments.size(), "one entry per message: " + comments);
        assertTrue(comments.get(0).text().startsWith("Pact · Mensagem “Olá! Aqui é a Ana"), comments.get(0).text());
        assertTrue(comments.get(0).text().contains("✓✓ lida"), "the late 'delivered' does not undo 'read'");
        assertTrue(b24.calls("batch").stream().flatMap(c -> c.cmds().stream())
                .anyMatch(cmd -> cmd.startsWith("crm.timeline.comment.update?")), "edited with crm.timeline.comment.update");
    }

    @Test
    void aMessageFromTheSenderBecomesOnePactMessageAndItsStatusesGoBackToBitrix24() {
        assertEquals(List.of("pact_whatsapp"), b24.senders(), "the install registered the sender");
        b24.putDeal("8066", "9001", "7");
        String send = Bitrix24Fake.fixture("messageservice-send.txt").strip().replace("{{ID}}", "f3a9c2e1d0b4");

        assertEquals(200, postForm("/bitrix24/messageservice", send).statusCode());
        assertEquals(200, postForm("/bitrix24/messageservice", send).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> pact.messagesWithText("Olá João, seu pedido 1042 foi enviado") == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.senderStatuses("f3a9c2e1d0b4").equals(List.of("queued")));
        var sent = pact.messages().stream().filter(m -> m.text().startsWith("Olá João, seu pedido")).findFirst().orElseThrow();
        assertEquals("5511987654321", sent.phone());

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.message("message-update-read", sent.id(), sent.conversationId()));

        await().atMost(Duration.ofSeconds(20)).until(() -> b24.senderStatuses("f3a9c2e1d0b4").equals(List.of("queued", "delivered")));
        assertTrue(b24.comments("deal", "8066").isEmpty(), "Bitrix24 shows the message itself: no comment of ours");
        assertEquals(1, pact.messagesWithText("Olá João, seu pedido 1042 foi enviado"), "a repeated post is one message");
        assertEquals(401, postForm("/bitrix24/messageservice", send.replace(Bitrix24Fake.APPLICATION_TOKEN,
                "00000000000000000000000000000000")).statusCode());
        assertEquals(400, postForm("/bitrix24/messageservice", send.replace("message_to=%2B55", "message_to=abc")
                .replace("bindings%5B0%5D%5BOWNER_TYPE_ID%5D=2", "bindings%5B0%5D%5BOWNER_TYPE_ID%5D=9")).statusCode());
    }

    @Test
    void aSenderMessagePactRefusesIsReportedFailed() {
        b24.putDeal("8067", "9001", "7");
        pact.denyToken(PACT_TOKEN, 402);
        String send = Bitrix24Fake.fixture("messageservice-send.txt").strip().replace("{{ID}}", "a1b2c3d4e5f6");
        assertEquals(200, postForm("/bitrix24/messageservice", send).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.senderStatuses("a1b2c3d4e5f6").equals(List.of("failed")));
        assertEquals(1, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'PACT_WRITE_FIRST' "
                + "AND state = 'DEAD'", installation.id()));
        assertEquals(0, pact.messagesWithText("Olá João, seu pedido 1042 foi enviado"));
    }

    @Test
    void historyAndConversationStatesBecomeCommentsWhenSwitchedOn() {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572213, 'deal', '8065')", installation.id());
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();
        Http.postJson(hook, PactWebhooks.fixture("message-create-incoming"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? "
                + "AND source = 'PACT' AND state = 'DONE'", installation.id()) == 1);
        assertTrue(b24.comments("deal", "8065").isEmpty(), "history is off by default");

        sql.update("UPDATE installation SET settings = '{\"history\":true}' WHERE id = ?", installation.id());
        Http.postJson(hook, PactWebhooks.message("message-create-incoming", 2073572401L, 2073572213L));
        Http.postJson(hook, PactWebhooks.fixture("conversation-update-archived"));

        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8065").size() == 2);
        List<String> texts = b24.comments("deal", "8065").stream().map(Bitrix24Fake.Comment::text).toList();
        assertTrue(texts.contains("Pact · Cliente: “Oi, quero saber o preço”"), texts.toString());
        assertTrue(texts.contains("Pact · Conversa arquivada no Pact"), texts.toString());
    }

    @Test
    void aStatusWhoseCommentAPersonDeletedIsWrittenAsANewComment() {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572213, 'deal', '8064')", installation.id());
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();
        Http.postJson(hook, PactWebhooks.fixture("message-create-outgoing"));
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8064").size() == 1);
        b24.deleteComment(b24.comments("deal", "8064").get(0).id());

        Http.postJson(hook, PactWebhooks.fixture("message-update-read"));

        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8064").size() == 1
                && b24.comments("deal", "8064").get(0).text().contains("✓✓ lida"));
        String newId = Long.toString(b24.comments("deal", "8064").get(0).id());
        await().atMost(Duration.ofSeconds(20)).until(() -> newId.equals(sql.queryOne(
                "SELECT crm_entry_id FROM message_link WHERE installation_id = ? AND pact_message_id = 2073572301",
                installation.id()).get("crm_entry_id")));
    }

    private HttpResponse<String> placement(String authId, String placement, String options) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("AUTH_ID", authId);
        form.put("AUTH_EXPIRES", "3600");
        form.put("REFRESH_ID", "b24-user-refresh-not-used");
        form.put("SERVER_ENDPOINT", "https://oauth.bitrix.info/rest/");
        form.put("member_id", Bitrix24Fake.MEMBER_ID);
        form.put("status", "L");
        form.put("PLACEMENT", placement);
        form.put("PLACEMENT_OPTIONS", options);
        return postForm("/bitrix24/placement?DOMAIN=" + b24.host() + "&PROTOCOL=0&LANG=br&APP_SID=3c2b1a", encode(form));
    }

    /** The session the frame was redirected with: the fragment's {@code token}. */
    private static String tokenIn(HttpResponse<String> frame) {
        Matcher m = Pattern.compile("#token=([^&]+)").matcher(frame.headers().firstValue("Location").orElse(""));
        assertTrue(m.find(), frame.headers().map().toString());
        return m.group(1);
    }

    private HttpResponse<String> api(String method, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.getURL() + path)).header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    @Test
    void aDealCardPlacementOpensThePageForThatDealAndWritesFirstOnceWithOneTimelineEntry() throws Exception {
        b24.putDeal("8063", "9001", "7");
        HttpResponse<String> page = placement(b24.userToken("7"), "CRM_DEAL_DETAIL_TAB",
                "{\"ID\":\"8063\",\"URI\":\"/crm/deal/details/8063/\"}");

        assertEquals(303, page.statusCode(), page.body());
        String location = page.headers().firstValue("Location").orElse("");
        assertTrue(location.startsWith("/ui/card?entityType=deal&entityId=8063&portal=" + Bitrix24Fake.MEMBER_ID + "#token="),
                location);
        assertTrue(location.endsWith("&lang=pt"), "Bitrix24's LANG=br is the UI's pt: " + location);
        assertEquals("no-store", page.headers().firstValue("Cache-Control").orElse(""));
        HttpResponse<String> card = send(HttpRequest.newBuilder(URI.create(server.getURL() + location.split("#")[0])).build());
        assertEquals(200, card.statusCode());
        assertTrue(card.headers().firstValue("Content-Security-Policy").orElse("").endsWith(" http://" + b24.host()),
                "the card page may be framed by this portal: " + card.headers().map());
        String token = tokenIn(page);

        JsonNode context = JSON.readTree(api("GET", "/api/v1/context?entityType=deal&entityId=8063", token, null).body());
        assertEquals("Pedido 1042", context.at("/entity/name").asText());
        assertEquals("5511987654321", context.at("/entity/phones/0").asText());

        String request = "{\"requestId\":\"b24-card-1\",\"entityType\":\"deal\",\"entityId\":\"8063\",\"provider\":\"whatsapp\","
                + "\"phone\":\"5511987654321\",\"text\":\"Olá João, aqui é a Marina\"}";
        HttpResponse<String> first = api("POST", "/api/v1/chats", token, request);
        HttpResponse<String> again = api("POST", "/api/v1/chats", token, request);

        assertEquals(200, first.statusCode(), first.body());
        assertEquals("sent", JSON.readTree(first.body()).get("status").asText());
        assertEquals(JSON.readTree(first.body()).get("messageId").asLong(), JSON.readTree(again.body()).get("messageId").asLong());
        assertEquals(1, pact.messagesWithText("Olá João, aqui é a Marina"), "one Pact write-first message");
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8063").size() == 1);
        assertTrue(b24.comments("deal", "8063").get(0).text().contains("na fila"));
        assertEquals(1, b24.comments("deal", "8063").size());

        HttpResponse<String> toolbar = placement(b24.userToken("7"), "CRM_CONTACT_DETAIL_TOOLBAR", "{\"ENTITY_ID\":\"9001\"}");
        assertEquals(303, toolbar.statusCode());
        assertTrue(toolbar.headers().firstValue("Location").orElse("").startsWith("/ui/card?entityType=contact&entityId=9001&"));
        assertEquals(400, placement(b24.userToken("7"), "CRM_DEAL_LIST_MENU", "{\"ID\":\"8063\"}").statusCode());
        assertEquals(400, placement(b24.userToken("7"), "CRM_DEAL_DETAIL_TAB", "{\"URI\":\"/crm/\"}").statusCode());
        assertEquals(400, placement(b24.userToken("7"), "CRM_DEAL_DETAIL_TAB", "not json").statusCode());
        HttpResponse<String> forged = placement("not-a-token-of-this-portal", "CRM_DEAL_DETAIL_TAB", "{\"ID\":\"8063\"}");
        assertEquals(401, forged.statusCode());
        assertEquals("application/problem+json", forged.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void theAppPageOpensTheSettingsWithASessionThatIsAdminOnlyForAnAdmin() {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("AUTH_ID", b24.userToken(Bitrix24Fake.INSTALLER_USER));
        form.put("member_id", Bitrix24Fake.MEMBER_ID);
        form.put("PLACEMENT", "DEFAULT");
        HttpResponse<String> admin = postForm("/bitrix24/app?DOMAIN=" + b24.host() + "&LANG=la", encode(form));
        assertEquals(303, admin.statusCode(), admin.body());
        String location = admin.headers().firstValue("Location").orElse("");
        assertTrue(location.startsWith("/ui/settings?portal=" + Bitrix24Fake.MEMBER_ID + "#token="), location);
        assertTrue(location.endsWith("&lang=es"), location);
        assertEquals(200, api("GET", "/api/v1/settings", tokenIn(admin), null).statusCode());

        form.put("AUTH_ID", b24.userToken("7"));
        HttpResponse<String> manager = postForm("/bitrix24/app?DOMAIN=" + b24.host() + "&LANG=de", encode(form));
        assertEquals(303, manager.statusCode());
        assertFalse(manager.headers().firstValue("Location").orElse("").contains("lang="), "no UI language for de: the setting's");
        assertEquals(403, api("GET", "/api/v1/settings", tokenIn(manager), null).statusCode());
        form.put("AUTH_ID", "forged");
        assertEquals(401, postForm("/bitrix24/app?DOMAIN=" + b24.host(), encode(form)).statusCode());
    }

    @Test
    void aSessionNeedsAnAuthIdThePortalAcceptsForItsOwnDomain() throws Exception {
        ObjectNode good = JSON.createObjectNode().put("AUTH_ID", b24.userToken("7")).put("DOMAIN", b24.host())
                .put("member_id", Bitrix24Fake.MEMBER_ID);

        HttpResponse<String> session = api("POST", "/api/v1/sessions/bitrix24", null, good.toString());

        assertEquals(200, session.statusCode(), session.body());
        JsonNode body = JSON.readTree(session.body());
        assertEquals(installation.id(), body.get("installationId").asLong());
        assertEquals("7", body.at("/user/id").asText());
        assertEquals("Marina Costa", body.at("/user/name").asText());
        assertFalse(body.at("/user/admin").asBoolean());
        assertEquals(200, api("GET", "/api/v1/context?entityType=contact&entityId=9001", body.get("token").asText(), null).statusCode());

        HttpResponse<String> bad = api("POST", "/api/v1/sessions/bitrix24", null, good.deepCopy().put("AUTH_ID", "forged").toString());
        assertEquals(401, bad.statusCode());
        assertEquals("application/problem+json", bad.headers().firstValue("Content-Type").orElse(""));
        assertEquals(403, api("POST", "/api/v1/sessions/bitrix24", null,
                good.deepCopy().put("DOMAIN", "evil.example.com").toString()).statusCode());
        assertEquals(403, api("POST", "/api/v1/sessions/bitrix24", null,
                good.deepCopy().put("member_id", "ffffffffffffffffffffffffffffffff").toString()).statusCode());
        assertEquals(400, api("POST", "/api/v1/sessions/bitrix24", null, "{}").statusCode());
        assertTrue(b24.calls("batch").stream().noneMatch(c -> c.host().startsWith("evil")));
    }

    private void autoCreateClientsIn(long categoryId) {
        sql.update("UPDATE installation SET settings = ? WHERE id = ?",
                "{\"autoCreateClients\":true,\"newClientStages\":{\"default\":{\"pipelineId\":" + categoryId + "}}}",
                installation.id());
    }

    @Test
    void aFirstMessageFromAKnownPhoneIsLinkedToThatContactsOpenDeal() {
        autoCreateClientsIn(3);
        b24.putDeal("9001", "9001", "7");

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), PactWebhooks.fixture("message-create-incoming"));

        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? "
                + "AND pact_conversation_id = 2073572213", installation.id()) == 1);
        assertEquals("9001", sql.queryOne("SELECT crm_entity_id FROM conversation_link WHERE installation_id = ? "
                + "AND pact_conversation_id = 2073572213", installation.id()).get("crm_entity_id"));
        assertEquals("deal", sql.queryOne("SELECT crm_entity_type FROM conversation_link WHERE installation_id = ? "
                + "AND pact_conversation_id = 2073572213", installation.id()).get("crm_entity_type"));
        assertEquals(1, b24.items(3).size(), "no duplicate contact");
        assertEquals(1, b24.items(2).size(), "no new deal while one is open");
        assertTrue(b24.calls("crm.item.add").isEmpty());
    }

    @Test
    void aFirstMessageFromAnUnknownPhoneCreatesOneContactAndADealInTheMappedCategory() {
        b24.clearItems();
        sql.update("UPDATE installation SET settings = ? WHERE id = ?",
                "{\"autoCreateClients\":true,\"newClientStages\":{\"default\":{\"pipelineId\":3}}}", installation.id());
        installation = installation();

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), PactWebhooks.fixture("message-create-incoming"));

        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? "
                + "AND pact_conversation_id = 2073572213", installation.id()) == 1);
        List<ObjectNode> contacts = b24.items(3);
        List<ObjectNode> deals = b24.items(2);
        assertEquals(1, contacts.size(), contacts.toString());
        assertEquals("+5511987654321", contacts.get(0).at("/fm/0/value").asText());
        assertEquals(1, deals.size());
        assertEquals(3, deals.get(0).path("categoryId").asInt());
        assertEquals(contacts.get(0).path("id").asLong(), deals.get(0).at("/contactIds/0").asLong());
        assertEquals("deal", sql.queryOne("SELECT crm_entity_type FROM conversation_link WHERE installation_id = ? "
                + "AND pact_conversation_id = 2073572213", installation.id()).get("crm_entity_type"));
        assertEquals(List.of("CONTACT", "LEAD"), b24.calls("batch").stream().flatMap(c -> c.cmds().stream())
                .filter(c -> c.startsWith("crm.duplicate.findbycomm")).map(c -> c.replaceAll(".*entity_type=(\\w+).*", "$1"))
                .toList(), "contacts and leads holding the phone, looked up once");
    }
}
