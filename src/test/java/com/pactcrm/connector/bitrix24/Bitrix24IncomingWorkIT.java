package com.pactcrm.connector.bitrix24;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.sync.reconcile.Reconciliation;
import com.pactcrm.connector.sync.reconcile.ReconciliationJob;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 15, incoming clients and unanswered conversations become Bitrix24 work: a portal installed through the installer frame, Pact webhooks in over
 * HTTP, contacts, leads and deals kept by the stateful {@link Bitrix24Fake}.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24IncomingWorkIT extends Bitrix24TestBase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong IDS = new AtomicLong(2_096_000_000L);

    Installation installation;

    @Inject
    ReconciliationJob job;
    @Inject
    StartChatUseCase startChat;
    @Inject
    UserMappingRepository users;

    @BeforeEach
    void installedPortal() {
        b24.reset();
        b24.clearItems();
        pact.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        installation = installWithPact();
    }

    @Test
    void aNewPortalCreatesClientsAndTasksUntilTheAdminSaysOtherwise() throws Exception {
        JsonNode settings = JSON.readTree(installation.settings());
        assertTrue(settings.path("autoCreateClients").asBoolean(), settings.toString());
        assertTrue(settings.path("unansweredTasks").asBoolean(), settings.toString());
        // The card's toolbar item speaks each user's language.
        ObjectNode toolbar = b24.boundPlacements().stream().filter(p -> p.path("placement").asText().endsWith("_TOOLBAR"))
                .findFirst().orElseThrow();
        assertEquals("Pact: write first", toolbar.at("/langAll/en/TITLE").asText(), toolbar.toString());
        assertEquals("Pact: написать первым", toolbar.at("/langAll/ru/TITLE").asText());
        assertEquals("Pact: escribir primero", toolbar.at("/langAll/la/TITLE").asText());
        assertEquals("Pact: escrever primeiro", toolbar.at("/langAll/br/TITLE").asText());
    }

    @Test
    void anUnknownPhoneBecomesALeadInTheMappedStatusForTheNextUserInTurnWithItsMessage() {
        settings("""
                {"autoCreateClients":true,"newClientResponsible":"roundRobin","roundRobinUsers":["5","6"],
                 "newClientStages":{"whatsapp":{"entity":"lead","stageId":"IN_PROCESS"}}}""");
        long conversation = IDS.incrementAndGet();
        post(PactWebhooks.incoming(IDS.incrementAndGet(), conversation, "Quero um orçamento", "5511944441111", false));
        String lead = awaitLink(conversation, "lead");

        ObjectNode created = b24.items(1).stream().filter(l -> l.path("ID").asText().equals(lead)).findFirst().orElseThrow();
        assertEquals("IN_PROCESS", created.path("STATUS_ID").asText());
        assertEquals("5", created.path("ASSIGNED_BY_ID").asText(), "the round robin's first user");
        assertEquals("+5511944441111", created.at("/PHONE/0/VALUE").asText(), "the lead holds the phone");
        assertTrue(b24.items(3).isEmpty(), "a lead needs no contact");
        assertTrue(b24.items(2).isEmpty());
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("lead", lead).stream()
                .anyMatch(c -> c.text().contains("Quero um orçamento")));

        // The same phone again, in another conversation: the lead is in progress, so it is reused.
        long again = IDS.incrementAndGet();
        post(PactWebhooks.incoming(IDS.incrementAndGet(), again, "Oi de novo", "5511944441111", false));
        assertEquals(lead, awaitLink(again, "lead"));
        assertEquals(1, b24.items(1).size(), "no second lead");
        assertEquals(1, b24.comments("lead", lead).stream().filter(c -> c.text().contains("Quero um orçamento")).count());
    }

    @Test
    void aContactWhoseDealsAreAllClosedGetsANewDealInTheMappedStageForItsOwner() {
        settings("""
                {"autoCreateClients":true,"newClientStages":{"default":{"entity":"deal","pipelineId":3,"stageId":"C3:NEW"}}}""");
        b24.putContact("9101", "+55 11 93333-2222", 42);
        b24.putDeal("9201", "9101", "42");
        b24.closeDeal("9201");
        long conversation = IDS.incrementAndGet();
        post(PactWebhooks.incoming(IDS.incrementAndGet(), conversation, "Preciso de mais", "5511933332222", false));
        String deal = awaitLink(conversation, "deal");

        assertTrue(!deal.equals("9201"), "a new deal, not the closed one");
        ObjectNode created = b24.items(2).stream().filter(d -> d.path("id").asText().equals(deal)).findFirst().orElseThrow();
        assertEquals(3, created.path("categoryId").asInt());
        assertEquals("C3:NEW", created.path("stageId").asText());
        assertEquals("42", created.path("assignedById").asText(), "the contact's owner");
        assertEquals(9101, created.at("/contactIds/0").asLong());
        assertEquals(1, b24.items(3).size(), "no second contact");
    }

    @Test
    void aGroupChatCreatesNothing() {
        settings("{\"autoCreateClients\":true}");
        long group = IDS.incrementAndGet();
        int callsBefore = b24.calls().size();
        post(PactWebhooks.incoming(IDS.incrementAndGet(), group, "Bom dia, grupo", "5511922220000", true));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? "
                + "AND source = 'PACT' AND state = 'DONE'", installation.id()) == 1);
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id()));
        assertEquals(callsBefore, b24.calls().size(), "the portal is never asked");
    }

    @Test
    void anUnansweredConversationBecomesOneToDoForTheDealsResponsibleCompletedWhenAnswered() {
        settings("{\"unansweredTasks\":true,\"unansweredTaskMinutes\":45,\"language\":\"es\"}");
        b24.putContact("9301", "+55 11 91111-0000");
        b24.putDeal("9401", "9301", "12");
        long conversation = IDS.incrementAndGet();
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id, "
                + "sender_name, replied_state) VALUES (?, ?, 'deal', '9401', 'João Silva', 'replied')", installation.id(),
                conversation);

        Instant before = Instant.now();
        post(PactWebhooks.conversationUpdate(conversation, "open", "unreplied"));
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.activities().size() == 1);
        ObjectNode todo = b24.activities().get(0);
        assertEquals("2", todo.path("ownerTypeId").asText());
        assertEquals("9401", todo.path("ownerId").asText());
        assertEquals("12", todo.path("responsibleId").asText(), "the deal's responsible, chained in the batch");
        assertEquals("Responder al cliente en Pact: João Silva", todo.path("title").asText());
        Instant due = OffsetDateTime.parse(todo.path("deadline").asText()).toInstant();
        assertTrue(Duration.between(before, due).toMinutes() >= 44 && Duration.between(before, due).toMinutes() <= 46, due.toString());
        await().atMost(Duration.ofSeconds(15)).until(() -> b24.comments("deal", "9401").stream()
                .anyMatch(c -> c.text().contains("Conversación sin respuesta en Pact")));

        post(PactWebhooks.conversationUpdate(conversation, "open", "unreplied").replace("10:35:11.000Z", "10:41:00.000Z"));
        post(PactWebhooks.conversationUpdate(conversation, "open", "replied"));
        await().atMost(Duration.ofSeconds(20)).until(() -> "Y".equals(b24.activities().get(0).path("COMPLETED").asText()));
        assertEquals(1, b24.activities().size(), "never a second to-do");
    }

    @Test
    void eventsThatNeverArrivedAreCollectedFromTheOfflineQueueOnce() {
        assertEquals(Set.copyOf(Bitrix24Installer.OFFLINE_EVENTS),
                b24.offlineBindings(), "the CRM events are also bound offline");
        b24.putContact("9501", "+55 11 95555-0000");
        b24.putDeal("9601", "9501", "7");
        users.save(installation.id(), "8", "Rafael Lima", 88L, "Rafael", "MANUAL");
        startChat.start(installation, UUID.randomUUID().toString(), "deal", "9601",
                PactWriteFirstRequest.whatsapp("5511955550000", "Olá"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM conversation_link "
                + "WHERE installation_id = ? AND crm_entity_id = '9601'", installation.id()) == 1);
        long conversation = ((Number) sql.queryOne("SELECT pact_conversation_id FROM conversation_link WHERE installation_id = ? "
                + "AND crm_entity_id = '9601'", installation.id()).get("pact_conversation_id")).longValue();

        // A person comments and the deal changes hands; neither online event reaches the connector.
        long comment = b24.personComment("deal", "9601", "7", "Cliente pediu desconto");
        b24.queueOffline("ONCRMTIMELINECOMMENTADD", Long.toString(comment));
        b24.putDeal("9601", "9501", "8");
        b24.queueOffline("ONCRMDEALUPDATE", "9601");

        Reconciliation run = job.run(installation);
        assertEquals(2, run.lastRecovered(), run.lastDetail());
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(88L).equals(pact.conversation(conversation).assigneeId()));
        await().atMost(Duration.ofSeconds(20)).until(() -> pact.conversation(conversation).note() != null);
        assertTrue(pact.conversation(conversation).note().endsWith("Cliente pediu desconto"), pact.conversation(conversation).note());
        assertEquals(0, job.run(installation).lastRecovered(), "the queue was emptied");
        assertEquals(2, b24.calls("event.offline.get").size(), "one call a run while the queue is short");
    }

    @Test
    void theRobotSendsAPactMessageOrTemplateOncePerTrigger() {
        ObjectNode robot = b24.robots().get(Bitrix24Installer.ROBOT_CODE);
        assertEquals(PUBLIC_URL + "/bitrix24/robot", robot.path("HANDLER").asText(), "registered at install");
        assertEquals("Pact: send a message", robot.at("/NAME/en").asText());
        b24.putContact("9701", "+55 11 97777-0000");
        b24.putDeal("9801", "9701", "7");
        String call = "code=pact_send&event_token=55a1b2c3%7CA4%7C1%7Cdeal9801&document_id%5B0%5D=crm"
                + "&document_id%5B1%5D=CCrmDocumentDeal&document_id%5B2%5D=DEAL_9801"
                + "&properties%5Btext%5D=Seu+pedido+1042+saiu+para+entrega&ts=1766047300"
                + "&auth%5Bmember_id%5D=" + Bitrix24Fake.MEMBER_ID + "&auth%5Bapplication_token%5D=" + Bitrix24Fake.APPLICATION_TOKEN;
        assertEquals(200, postForm("/bitrix24/robot", call).statusCode());
        assertEquals(200, postForm("/bitrix24/robot", call + "&ts=1766047301").statusCode(), "the same trigger again");
        await().atMost(Duration.ofSeconds(20)).until(() -> pact.messagesWithText("Seu pedido 1042 saiu para entrega") == 1);
        var sent = pact.messages().stream().filter(m -> "Seu pedido 1042 saiu para entrega".equals(m.text())).findFirst()
                .orElseThrow();
        assertEquals("5511977770000", sent.phone(), "the deal contact's phone");
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? "
                + "AND source = 'BITRIX24' AND state = 'DONE'", installation.id()) == 2);
        assertEquals(1, pact.messagesWithText("Seu pedido 1042 saiu para entrega"), "one message per trigger");

        // A WABA template with the substitutions the workflow filled in.
        pact.addWabaTemplate(1L, 3100000009L, "order_shipped", "Olá {{1}}, pedido {{2}} enviado", 2);
        assertEquals(200, postForm("/bitrix24/robot", "code=pact_send&event_token=77d%7CA5%7C2&document_id%5B2%5D=DEAL_9801"
                + "&properties%5Bwaba_id%5D=3100000009&properties%5Bsubstitutions%5D%5B0%5D=Jo%C3%A3o"
                + "&properties%5Bsubstitutions%5D%5B1%5D=1042&auth%5Bmember_id%5D=" + Bitrix24Fake.MEMBER_ID
                + "&auth%5Bapplication_token%5D=" + Bitrix24Fake.APPLICATION_TOKEN).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> pact.messages().stream()
                .anyMatch(m -> Long.valueOf(3100000009L).equals(m.wabaId()) && List.of("João", "1042").equals(m.substitutions())));
        assertEquals(401, postForm("/bitrix24/robot", call.replace(Bitrix24Fake.APPLICATION_TOKEN, "0".repeat(32))).statusCode());
        assertEquals(400, postForm("/bitrix24/robot", call.replace("code=pact_send", "code=other")).statusCode());
    }

    private void settings(String json) {
        sql.update("UPDATE installation SET settings = ? WHERE id = ?", json, installation.id());
    }

    private void post(String body) {
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), body).statusCode());
    }

    private String awaitLink(long conversation, String type) {
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM conversation_link "
                + "WHERE installation_id = ? AND pact_conversation_id = ?", installation.id(), conversation) == 1);
        Map<String, Object> link = sql.queryOne("SELECT crm_entity_type, crm_entity_id FROM conversation_link "
                + "WHERE installation_id = ? AND pact_conversation_id = ?", installation.id(), conversation);
        assertEquals(type, link.get("crm_entity_type"));
        return (String) link.get("crm_entity_id");
    }
}
