package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.crm.PhoneNumbers;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.quickreply.QuickReplyTemplate;
import com.pactcrm.connector.quickreply.QuickReplyTemplateRepository;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.NodeBrowserTests;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactFake.FakeMessage;
import com.pactcrm.connector.testsupport.RecordingCrmGateway;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The UI in a real browser: starts the connector (Pact fake and recording CRM behind it), sets up an amoCRM
 * installation, then runs {@code widget/ui/test/browser.test.js} (Node's test runner driving headless Chromium
 * through playwright-core; {@code widget/harness/chromium.js} finds the Chromium) against it, and finally checks
 * what the Pact fake received. Screenshots land in {@code target/screenshots/}. Skipped only with
 * {@code -Dwidget.test.skip=true}, like the widget's Node tests; Maven installs their npm packages.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WidgetBrowserIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();
    /** The browser must reach the service on the host the connector believes is its own (the Origin check). */
    static final int PORT = freePort();
    static final String WRONG_PACT_TOKEN = "pact-token-revoked-0000";
    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final String CLIENT_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";
    static final long WABA_ID = 3100000002L;

    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    QuickReplyTemplateRepository quickReplies;
    @Inject
    UserMappingRepository users;
    @Inject
    TestSql sql;
    @Inject
    RecordingCrmGateway crm;
    @Inject
    InstallationRepository installationRepository;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(),
                "micronaut.server.port", Integer.toString(PORT),
                "connector.public-url", "http://localhost:" + PORT,
                "connector.amocrm.client-id", CLIENT_ID,
                "connector.amocrm.client-secret", CLIENT_SECRET,
                "connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback");
    }

    @Test
    void theCardAndSettingsWorkInChromiumAgainstTheRunningService() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("widget.test.skip"), "widget tests skipped (-Dwidget.test.skip=true)");
        Installation installation = installations.amoCrm(null);
        users.save(installation.id(), "8123456", "Ana Souza", null, null, "MANUAL");
        quickReplies.save(new QuickReplyTemplate(null, installation.id(), "Saudação",
                "Olá {{contact.name}}, aqui é {{user.name}}!", 0));
        PACT.addWabaTemplate(1L, WABA_ID, "order_ready", "Hello {{1}}, your order {{2}} is ready", 2);
        PACT.denyToken(WRONG_PACT_TOKEN, 401);
        sql.update("""
                INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, state, attempts,
                    next_attempt_at, last_error, origin_at)
                VALUES (?, 'CRM', 'CRM_CONVERSATION_STATE', ?, ?, 'DEAD', 10, ?, 'amoCRM answered 500 ten times', ?)""",
                installation.id(), "dead-" + UUID.randomUUID(),
                "{\"conversationId\":990077,\"entityType\":\"lead\",\"entityId\":\"1\",\"operationalState\":\"archived\","
                        + "\"repliedState\":null}", Timestamp.from(Instant.now()), Timestamp.from(Instant.now()));

        Map<String, String> env = new LinkedHashMap<>();
        env.put("CONNECTOR_URL", "http://localhost:" + PORT);
        env.put("AMO_ORIGIN", "https://" + installation.crmHost());
        env.put("AMO_DISPOSABLE_TOKENS", JSON.writeValueAsString(List.of(disposableToken(installation),
                disposableToken(installation))));
        env.put("ADMIN_TOKEN", sessions.issue(installation.id(), "8123456", "Ana Souza", true));
        env.put("MANAGER_TOKEN", sessions.issue(installation.id(), "8123457", "Bruno Lima", false));
        env.put("PACT_HOOK_KEY", installation.pactHookKey());
        env.put("PACT_WEBHOOK_FIXTURES", Path.of("src/test/resources/fixtures/pact-webhooks").toAbsolutePath().toString());
        env.put("SCREENSHOT_DIR", Path.of("target/screenshots").toAbsolutePath().toString());
        env.put("WRONG_PACT_TOKEN", WRONG_PACT_TOKEN);
        env.put("RIGHT_PACT_TOKEN", TestInstallations.PACT_TOKEN);
        env.put("JOURNAL_CONVERSATION", "990077");

        NodeBrowserTests.Run run = NodeBrowserTests.run("ui/test/browser.test.js", env);
        assertEquals(0, run.exitCode(), "browser tests failed:\n" + run.output());
        assertTrue(run.output().contains("# pass 5"), run.output());

        List<FakeMessage> greetings = PACT.messages().stream()
                .filter(m -> m.writeFirst() && "Olá João Silva, aqui é Ana Souza!".equals(m.text())).toList();
        assertEquals(1, greetings.size(), "one write-first message with the quick reply's variables filled");
        assertEquals("whatsapp", greetings.get(0).provider());
        assertEquals("5511987654321", greetings.get(0).phone());
        List<FakeMessage> waba = PACT.messages().stream().filter(m -> "whatsapp_business".equals(m.provider())).toList();
        assertEquals(1, waba.size(), "a double click on WABA sends once");
        assertEquals(WABA_ID, waba.get(0).wabaId());
        assertEquals(List.of("João", "A-1001"), waba.get(0).substitutions());
        assertEquals(1, PACT.messages().stream().filter(m -> "telegram_personal".equals(m.provider())
                && "joao_silva".equals(m.nickname()) && "Hola, João".equals(m.text())).count(), "Telegram Personal by nickname");
        assertTrue(PACT.webhooks().stream().anyMatch(w -> w.active() && w.url().endsWith("/pact/webhooks/" + installation.pactHookKey())),
                "connecting with the right token registered and activated our webhook");
        assertEquals("BR", PhoneNumbers.defaultCountry(installationRepository.findById(installation.id()).orElseThrow()),
                "the default phone country the admin chose is stored");
        // The dead letter the admin retried from the journal was delivered this time.
        await().atMost(Duration.ofSeconds(20)).until(() -> crm.timeline("lead", "1").stream()
                .anyMatch(e -> e.text().contains("archived")));
        for (String screen : List.of("amocrm-panel", "card-dialog-quick-reply-en", "card-chats-clock-en", "card-chats-one-tick-en",
                "card-chats-two-ticks-en", "card-dialog-waba-pt-narrow", "card-chats-pt-narrow", "settings-pact-pt",
                "settings-general-phone-pt",
                "settings-health-pt", "settings-pact-en", "settings-health-en", "settings-refused-pt", "settings-journal-retry-en",
                "card-postmessage-es-wide")) {
            assertTrue(Files.size(Path.of("target/screenshots", screen + ".png")) > 1000, screen);
        }
    }

    /** A disposable token as amoCRM's $authorizedAjax sends it (amocrm.md §3.6), for this installation's account. */
    private static String disposableToken(Installation installation) throws Exception {
        long now = Instant.now().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", "https://" + installation.crmHost());
        claims.put("aud", "https://connector.example.com");
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iat", now);
        claims.put("nbf", now);
        claims.put("exp", now + 1800);
        claims.put("account_id", installation.crmAccountId());
        claims.put("subdomain", installation.crmHost().split("\\.")[0]);
        claims.put("client_uuid", CLIENT_ID);
        claims.put("user_id", 8123456);
        claims.put("is_admin", true);
        return AmoCrmSessionIT.jwt("HS256", CLIENT_SECRET, claims);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
