package com.pactcrm.connector.security;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.logging.LogbackLayouts;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** Tokens go through the whole service (stored, used, refused by Pact); none may appear in the database or the logs. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NoPlaintextSecretsIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final String GOOD_TOKEN = "pact-live-token-9f8e7d6c5b4a39281706";
    static final String REVOKED_TOKEN = "pact-revoked-token-1a2b3c4d5e6f70819";

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    StartChatUseCase startChat;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(), "connector.pact.read-timeout", "1s");
    }

    @Test
    void noTokenInTheDatabaseOrTheLogs() {
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        List<OutputStreamAppender<ILoggingEvent>> appenders = List.of(captureLogs(logged, "text"), captureLogs(logged, "json"));
        try {
            Installation good = installations.create(CrmKind.AMOCRM, GOOD_TOKEN, 1L, null);
            Installation revoked = installations.create(CrmKind.AMOCRM, REVOKED_TOKEN, 1L, null);
            PACT.denyToken(REVOKED_TOKEN, 401);
            startChat.start(good, "s-1", "lead", "1", PactWriteFirstRequest.whatsapp("5511987654321", "Olá"));
            startChat.start(revoked, "s-2", "lead", "2", PactWriteFirstRequest.whatsapp("5511987654322", "Olá"));
            Http.postJson(server.getURL() + "/pact/webhooks/" + good.pactHookKey(), PactWebhooks.fixture("message-update-read"));
            await().atMost(Duration.ofSeconds(30)).until(() -> sql.count(
                    "SELECT COUNT(*) FROM outbox_command WHERE installation_id IN (?, ?) AND kind = 'PACT_WRITE_FIRST' AND state IN ('DONE', 'DEAD')",
                    good.id(), revoked.id()) == 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> sql.count(
                    "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", good.id()) == 1);
            assertTrue(PACT.callCount("write-first") >= 2, "both tokens were really used");
        } finally {
            for (OutputStreamAppender<ILoggingEvent> appender : appenders) {
                ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(appender);
                appender.stop();
            }
        }
        String logs = logged.toString(StandardCharsets.UTF_8);
        assertTrue(logs.contains("UNAUTHORIZED") || logs.contains("401"), "the refusal was logged: " + logs);
        for (String secret : List.of(GOOD_TOKEN, REVOKED_TOKEN, "crm-access-", "crm-refresh-")) {
            assertFalse(logs.contains(secret), "logs contain " + secret);
            assertFalse(databaseContains(secret), "the database contains " + secret);
        }
    }

    private boolean databaseContains(String secret) {
        List<String> tables = sql.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()")
                .stream().map(r -> r.get("t").toString()).toList();
        for (String table : tables) {
            for (Map<String, Object> row : sql.query("SELECT * FROM `" + table + "`")) {
                for (Object value : row.values()) {
                    String text = value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
                    if (text.contains(secret)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Both of logback.xml's layouts (LOG_FORMAT text and json), masking included, writing into memory. */
    private static OutputStreamAppender<ILoggingEvent> captureLogs(ByteArrayOutputStream out, String logFormat) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Encoder<ILoggingEvent> encoder = LogbackLayouts.encoder(logFormat);
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(appender);
        return appender;
    }
}
