package com.pactcrm.connector.amocrm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.AmoCrmDisposableTokens;
import com.pactcrm.connector.testsupport.AmoCrmFake;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 15, incoming clients and unanswered conversations become amoCRM work: Pact webhooks in over HTTP, the real amoCRM adapter against the stateful
 * {@link AmoCrmFake} (contacts, leads, unsorted and notes kept per account), MariaDB in between. Each test has an
 * account of its own (its own host on the fake).
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmIncomingWorkIT implements TestPropertyProvider {

    @RegisterExtension
    static final AmoCrmFake AMO = AmoCrmFake.start();
    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final AtomicLong IDS = new AtomicLong(2_095_000_000L);
    static final AtomicInteger HOSTS = new AtomicInteger(20);
    static final String SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = new HashMap<>();
        p.put("test.crm-double", "false");
        p.put("connector.amocrm.client-id", "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c");
        p.put("connector.amocrm.client-secret", SECRET);
        p.put("connector.amocrm.scheme", "http");
        p.put("connector.pact.api-url", PACT.baseUrl());
        p.put("connector.amocrm.allowed-host-suffixes", String.join(",", IntStream.range(20, 40)
                .mapToObj(i -> "127.0.0." + i + ":" + AMO.port()).toList()));
        return p;
    }


    @Test
    void anUnknownPhoneBecomesContactAndLeadInTheMappedStageWithItsMessageAndTheRoundRobinsUser() {
        String host = host();
        Installation inst = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, """
                {"autoCreateClients":true,"newClientResponsible":"roundRobin","roundRobinUsers":["501","502"],
                 "newClientStages":{"whatsapp":{"pipelineId":7000001,"statusId":7100001}}}""");
        long first = IDS.incrementAndGet();
        long firstMessage = IDS.incrementAndGet();
        post(inst, PactWebhooks.incoming(firstMessage, first, "Oi, quero saber o preço", "5511999000111", false));
        String lead = awaitLink(inst, first, "lead");

        JsonNode created = record(host, "leads", lead);
        assertEquals(7000001, created.path("pipeline_id").asLong(), "the mapped pipeline");
        assertEquals(7100001, created.path("status_id").asLong(), "the mapped stage");
        assertEquals(501, created.path("responsible_user_id").asLong(), "the round robin's first user");
        List<JsonNode> contacts = AMO.records(host, "contacts");
        assertEquals(1, contacts.size(), "one contact");
        assertEquals(501, contacts.get(0).path("responsible_user_id").asLong());
        assertEquals(contacts.get(0).path("id").asLong(),
                created.path("_embedded").path("contacts").path(0).path("id").asLong(), "the lead carries the new contact");
        // The message that made the lead is its first timeline entry, although history is off.
        await().atMost(Duration.ofSeconds(15)).until(() -> AMO.notes(host).stream()
                .anyMatch(n -> n.leadId() == Long.parseLong(lead) && n.text().contains("Oi, quero saber o preço")));

        long second = IDS.incrementAndGet();
        post(inst, PactWebhooks.incoming(IDS.incrementAndGet(), second, "Bom dia", "5511999000222", false));
        String secondLead = awaitLink(inst, second, "lead");
        assertEquals(502, record(host, "leads", secondLead).path("responsible_user_id").asLong(), "then the second user");
        assertEquals(1, AMO.notes(host).stream().filter(n -> n.text().contains("Oi, quero saber o preço")).count(),
                "the first message written once");
    }

    @Test
    void aGroupChatCreatesNothing() {
        String host = host();
        Installation inst = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, "{\"autoCreateClients\":true}");
        long group = IDS.incrementAndGet();
        post(inst, PactWebhooks.incoming(IDS.incrementAndGet(), group, "Pessoal, reunião amanhã", "5511999000333", true));
        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", inst.id()) == 1);
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", inst.id()));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM conversation_link WHERE installation_id = ?", inst.id()));
        assertTrue(AMO.calls().stream().noneMatch(c -> c.host().equals(host)), "amoCRM never asked");
    }

    @Test
    void aReturningClientWithOnlyClosedLeadsGetsANewLeadForTheContactOwnerAndAnOpenLeadIsReused() {
        String host = host();
        Installation inst = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, "{\"autoCreateClients\":true}");
        long lost = AMO.putContact(host, "Maria Souza", "+55 11 98888-1111", 777);
        long oldLead = AMO.putLead(host, lost, 143);
        long won = AMO.putLead(host, lost, 142);
        long returning = IDS.incrementAndGet();
        post(inst, PactWebhooks.incoming(IDS.incrementAndGet(), returning, "Voltei!", "5511988881111", false));
        String lead = awaitLink(inst, returning, "lead");
        assertTrue(Long.parseLong(lead) != oldLead && Long.parseLong(lead) != won, "a new lead, not a closed one");
        JsonNode created = record(host, "leads", lead);
        assertEquals(777, created.path("responsible_user_id").asLong(), "the contact's owner");
        assertEquals(lost, created.path("_embedded").path("contacts").path(0).path("id").asLong());
        assertEquals(1, AMO.records(host, "contacts").size(), "no second contact");

        long active = AMO.putContact(host, "Pedro Lima", "+5511977772222", 778);
        long openLead = AMO.putLead(host, active, 7100001);
        long again = IDS.incrementAndGet();
        post(inst, PactWebhooks.incoming(IDS.incrementAndGet(), again, "Sobre o pedido", "5511977772222", false));
        assertEquals(Long.toString(openLead), awaitLink(inst, again, "lead"), "the open lead");
        assertEquals(4, AMO.records(host, "leads").size(), "nothing created for a client with open work");
    }

    @Test
    void theIncomingStageGoesThroughTheUnsortedApi() {
        String host = host();
        Installation inst = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, """
                {"autoCreateClients":true,"newClientStages":{"default":{"pipelineId":7000001,"stageId":"unsorted"}}}""");
        long conversation = IDS.incrementAndGet();
        post(inst, PactWebhooks.incoming(IDS.incrementAndGet(), conversation, "Olá", "5511966663333", false));
        String lead = awaitLink(inst, conversation, "lead");
        assertEquals(7100000, record(host, "leads", lead).path("status_id").asLong(), "Incoming");
        assertTrue(AMO.calls().stream().anyMatch(c -> c.host().equals(host) && c.path().equals("/api/v4/leads/unsorted/forms")));
        assertTrue(AMO.calls().stream().noneMatch(c -> c.host().equals(host) && "POST".equals(c.method())
                && c.path().equals("/api/v4/leads")), "not through POST /leads");
        JsonNode contact = AMO.records(host, "contacts").get(0);
        assertEquals("5511966663333", contact.at("/custom_fields_values/0/values/0/value").asText().replaceAll("\\D", ""));
    }

    @Test
    void anUnansweredConversationBecomesOneTaskForTheLeadsResponsibleCompletedWhenAnswered() {
        String host = host();
        Installation inst = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN,
                "{\"unansweredTasks\":true,\"unansweredTaskMinutes\":30,\"language\":\"en\"}");
        long contact = AMO.putContact(host, "João Silva", "+5511987654321", 778);
        long lead = AMO.putLead(host, contact, 7100001);
        long conversation = IDS.incrementAndGet();
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id, "
                + "sender_name, replied_state) VALUES (?, ?, 'lead', ?, 'João Silva', 'replied')", inst.id(), conversation,
                Long.toString(lead));

        long before = System.currentTimeMillis() / 1000;
        post(inst, PactWebhooks.conversationUpdate(conversation, "open", "unreplied"));
        await().atMost(Duration.ofSeconds(20)).until(() -> AMO.records(host, "tasks").size() == 1);
        JsonNode task = AMO.records(host, "tasks").get(0);
        assertEquals("leads", task.path("entity_type").asText());
        assertEquals(lead, task.path("entity_id").asLong());
        assertEquals(779, task.path("responsible_user_id").asLong(), "the lead's responsible");
        assertEquals("Reply to the client in Pact: João Silva", task.path("text").asText(), "the installation's language");
        long due = task.path("complete_till").asLong();
        assertTrue(due >= before + 30 * 60 - 5 && due <= before + 30 * 60 + 60, "due in 30 minutes: " + (due - before));
        // The state note is in English too.
        await().atMost(Duration.ofSeconds(15)).until(() -> AMO.noteTexts(host).contains("Conversation unanswered in Pact"));

        // Pact says it again (another update of the same conversation): still one task.
        post(inst, PactWebhooks.conversationUpdate(conversation, "open", "unreplied").replace("10:35:11.000Z", "10:40:00.000Z"));
        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", inst.id()) == 2);
        post(inst, PactWebhooks.conversationUpdate(conversation, "open", "replied"));
        await().atMost(Duration.ofSeconds(20)).until(() -> AMO.records(host, "tasks").get(0).path("is_completed").asBoolean());
        assertEquals("Answered in Pact", AMO.records(host, "tasks").get(0).at("/result/text").asText());
        assertEquals(1, AMO.records(host, "tasks").size(), "never a second task");
        assertEquals(1, sql.count("SELECT COUNT(*) FROM crm_task WHERE installation_id = ? AND state = 'CLOSED'", inst.id()));
    }

    @Test
    void theDigitalPipelineActionSendsOnePactMessagePerFiringWithTheLeadsValues() {
        String host = host();
        Installation inst = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, "{}");
        long contact = AMO.putContact(host, "Ana Lima", "+55 11 91234-5678", 101);
        long lead = AMO.putLead(host, contact, 7100001);
        String action = "event%5Btype%5D=lead_appeared_in_status&event%5Btype_code%5D=15&event%5Bdata%5D%5Bid%5D=" + lead
                + "&event%5Bdata%5D%5Belement_type%5D=2&event%5Bdata%5D%5Bstatus_id%5D=7100001"
                + "&event%5Bdata%5D%5Bpipeline_id%5D=7000001&event%5Btime%5D=1766047300&action%5Bcode%5D=pact"
                + "&action%5Bsettings%5D%5Bwidget%5D%5Bsettings%5D%5Btext%5D=Ol%C3%A1%2C+pedido+%7B%7Blead.name%7D%7D+%23%7B%7Blead.id%7D%7D"
                + "&action%5Bsettings%5D%5Bwidget%5D%5Bsettings%5D%5Bkey%5D=" + inst.hookKey()
                + "&account_id=" + inst.crmAccountId();
        assertEquals(200, postForm("/amocrm/automation", action));
        assertEquals(200, postForm("/amocrm/automation", action), "amoCRM's retry of the same firing");
        String expected = "Olá, pedido Earlier deal #" + lead;
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.messagesWithText(expected) == 1);
        assertEquals("5511912345678", PACT.messages().stream().filter(m -> expected.equals(m.text())).findFirst()
                .orElseThrow().phone(), "the lead contact's phone");
        // The same action firing again later (another time) is another message.
        assertEquals(200, postForm("/amocrm/automation", action.replace("1766047300", "1766050900")));
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.messagesWithText(expected) == 2);
        assertEquals(404, postForm("/amocrm/automation", action.replace(inst.hookKey(), "x" + inst.hookKey().substring(1))));
        assertEquals(404, postForm("/amocrm/automation", action.replace("account_id=" + inst.crmAccountId(), "account_id=1")));
        assertEquals(400, postForm("/amocrm/automation", "event%5Btype%5D=x&action%5Bcode%5D=pact"));
    }

    @Test
    void theSalesbotStepSendsOnePactMessageAndLetsTheBotGoOn() throws Exception {
        String host = host();
        Installation inst = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, "{}");
        long contact = AMO.putContact(host, "Rui Alves", "+55 11 95555-4444", 101);
        long lead = AMO.putLead(host, contact, 7100001);
        long now = System.currentTimeMillis() / 1000;
        Map<String, Object> claims = new HashMap<>();
        claims.put("account_id", Long.parseLong(inst.crmAccountId()));
        claims.put("entity_id", lead);
        claims.put("entity_type", 2);
        claims.put("bot_type", "salesbot");
        claims.put("iat", now);
        claims.put("exp", now + 600);
        String token = AmoCrmDisposableTokens.jwt("HS512", SECRET, claims);
        String call = "{\"token\":\"" + token + "\",\"data\":{\"text\":\"Oi! Seu pedido {{lead.id}} chegou\"},"
                + "\"return_url\":\"http://" + host + "/api/v4/salesbot/321/continue/9001\"}";
        assertEquals(200, Http.postJson(server.getURL() + "/amocrm/salesbot", call).statusCode());
        assertEquals(200, Http.postJson(server.getURL() + "/amocrm/salesbot", call).statusCode(), "the bot's retry");
        String expected = "Oi! Seu pedido " + lead + " chegou";
        await().atMost(Duration.ofSeconds(20)).until(() -> AMO.records(host, "continued").size() == 1);
        assertEquals(1, PACT.messagesWithText(expected));
        assertEquals("5511955554444", PACT.messages().stream().filter(m -> expected.equals(m.text())).findFirst()
                .orElseThrow().phone());
        JsonNode continued = AMO.records(host, "continued").get(0);
        assertEquals("/api/v4/salesbot/321/continue/9001", continued.path("path").asText());
        assertEquals("queued", continued.at("/data/status").asText());

        String forged = AmoCrmDisposableTokens.jwt("HS512", "another-secret-of-sixty-four-characters-0123456789012345678901", claims);
        assertEquals(401, Http.postJson(server.getURL() + "/amocrm/salesbot", call.replace(token, forged)).statusCode());
        assertEquals(400, Http.postJson(server.getURL() + "/amocrm/salesbot",
                call.replace("http://" + host, "http://evil.example.com")).statusCode(), "the bot waits on the account's host only");
        assertEquals(400, Http.postJson(server.getURL() + "/amocrm/salesbot", "{\"token\":1}").statusCode());
    }

    private int postForm(String path, String body) {
        return Http.postForm(server.getURL() + path, body).statusCode();
    }

    private static String host() {
        return "127.0.0." + HOSTS.getAndIncrement() + ":" + AMO.port();
    }

    private void post(Installation inst, String body) {
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + inst.pactHookKey(), body).statusCode());
    }

    private String awaitLink(Installation inst, long conversation, String type) {
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM conversation_link "
                + "WHERE installation_id = ? AND pact_conversation_id = ?", inst.id(), conversation) == 1);
        Map<String, Object> link = sql.queryOne("SELECT crm_entity_type, crm_entity_id FROM conversation_link "
                + "WHERE installation_id = ? AND pact_conversation_id = ?", inst.id(), conversation);
        assertEquals(type, link.get("crm_entity_type"));
        return (String) link.get("crm_entity_id");
    }

    private static JsonNode record(String host, String entity, String id) {
        return AMO.records(host, entity).stream().filter(r -> r.path("id").asText().equals(id)).findFirst().orElseThrow();
    }
}
