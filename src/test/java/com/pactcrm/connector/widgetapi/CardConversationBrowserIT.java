package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.NodeBrowserTests;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactFake.FakeMessage;
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The conversation in the card in Chromium: starts the connector with the Pact fake, gives a lead a conversation
 * with 40 texts and a photo at Pact, another lead a WhatsApp Business conversation whose client wrote 25 hours ago
 * (only an approved template may go), and a lead of an installation whose Pact company has no templates, then runs
 * {@code widget/ui/test/conversation.test.js} against it and checks what Pact received. Screenshots
 * {@code card-conversation-*.png} in {@code target/screenshots/}.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CardConversationBrowserIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final int PORT = freePort();
    static final long WABA_ID = 3100000002L;

    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    ConversationLinkRepository links;
    @Inject
    UserMappingRepository users;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(),
                "micronaut.server.port", Integer.toString(PORT),
                "connector.public-url", "http://localhost:" + PORT,
                "connector.card.file-hosts", URI.create(PACT.baseUrl()).getHost());
    }

    @Test
    void theConversationWorksInTheCardInChromium() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("widget.test.skip"), "widget tests skipped (-Dwidget.test.skip=true)");
        Installation installation = installations.amoCrm(null);
        users.save(installation.id(), "8123456", "Ana Souza", 501L, "Operadora Ana", "MANUAL");
        long conversation = PACT.seedConversation(1L, "whatsapp", "5511987659999");
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(3));
        for (int i = 1; i <= 40; i++) {
            PACT.addClientMessage(conversation, "mensagem " + i, start.plus(Duration.ofMinutes(i)));
        }
        PACT.addClientFile(conversation, null, start.plus(Duration.ofMinutes(41)), "produto.png", "image/png",
                ConversationHistoryIT.PNG);
        links.link(installation.id(), conversation, "lead", "4800", "whatsapp", "+5511987659999", "Maria Souza");
        PACT.addWabaTemplate(1L, WABA_ID, "order_ready", "Hello {{1}}, your order {{2}} is ready", 2);
        long waba = PACT.seedConversation(1L, "whatsapp_business", "5511987658888");
        PACT.addClientMessage(waba, "Meu pedido chegou?", Instant.now().minus(Duration.ofHours(25)));
        links.link(installation.id(), waba, "lead", "4801", "whatsapp_business", "+5511987658888", "Maria Souza");
        Installation noTemplates = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 2L, null);
        long wabaWithoutTemplates = PACT.seedConversation(2L, "whatsapp_business", "5511987657777");
        links.link(noTemplates.id(), wabaWithoutTemplates, "lead", "4802", "whatsapp_business", "+5511987657777", "Rita");
        Path upload = Files.createTempDirectory("card-upload").resolve("catalogo.png");
        Files.write(upload, ConversationHistoryIT.PNG);

        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONNECTOR_URL", "http://localhost:" + PORT);
        env.put("CARD_TOKEN", sessions.issue(installation.id(), "8123456", "Ana Souza", false));
        env.put("CARD_ENTITY", "4800");
        env.put("CARD_CONVERSATION", Long.toString(conversation));
        env.put("CARD_UPLOAD", upload.toString());
        env.put("CARD_WABA_ENTITY", "4801");
        env.put("CARD_WABA_CONVERSATION", Long.toString(waba));
        env.put("CARD_NO_TEMPLATES_TOKEN", sessions.issue(noTemplates.id(), "8123456", "Ana Souza", false));
        env.put("CARD_NO_TEMPLATES_ENTITY", "4802");
        env.put("PACT_HOOK_KEY", installation.pactHookKey());
        env.put("PACT_WEBHOOK_FIXTURES", Path.of("src/test/resources/fixtures/pact-webhooks").toAbsolutePath().toString());
        env.put("SCREENSHOT_DIR", Path.of("target/screenshots").toAbsolutePath().toString());
        NodeBrowserTests.Run run = NodeBrowserTests.run("ui/test/conversation.test.js", env);
        assertEquals(0, run.exitCode(), "browser tests failed:\n" + run.output());
        assertTrue(run.output().contains("# pass 2"), run.output());

        FakeMessage reply = PACT.messages().stream().filter(m -> "Oi Maria,\ntemos sim.".equals(m.text())).findFirst()
                .orElseThrow();
        assertEquals(1, PACT.messagesWithText("Oi Maria,\ntemos sim."), "Enter sent once, with its line break");
        assertEquals(conversation, reply.conversationId());
        assertFalse(reply.writeFirst());
        FakeMessage file = PACT.messages().stream().filter(m -> "Nosso catálogo".equals(m.text())).findFirst().orElseThrow();
        assertTrue(file.attachmentId() != null, "the file went with its message");
        assertEquals(1, PACT.calls().stream().filter(c -> "list-messages".equals(c.endpoint())
                && c.path().startsWith("/api/p2/conversations/" + conversation + "/")).count(),
                "the card read Pact's history once, paging included");
        List<FakeMessage> templates = PACT.messages().stream().filter(m -> Long.valueOf(WABA_ID).equals(m.wabaId())).toList();
        assertEquals(1, templates.size(), "the reply box sent the template once");
        assertEquals(waba, templates.get(0).conversationId(), "into the WABA conversation");
        assertEquals(List.of("Maria", "A-1001"), templates.get(0).substitutions());
        assertEquals(1, PACT.messages().stream().filter(m -> m.conversationId() == waba && !m.income()).count(),
                "nothing else went past the 24-hour window");
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(501L).equals(PACT.conversation(conversation).assigneeId()));
        for (String screen : List.of("card-conversation-en", "card-conversation-reply-file-en", "card-conversation-live-en",
                "card-conversation-waba-template-en", "card-conversation-waba-sent-en", "card-conversation-waba-no-templates-en")) {
            assertTrue(Files.size(Path.of("target/screenshots", screen + ".png")) > 1000, screen);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
