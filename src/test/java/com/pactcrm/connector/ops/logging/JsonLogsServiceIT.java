package com.pactcrm.connector.ops.logging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.ServiceProcess;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.annotation.Property;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The service started as operators start it with {@code LOG_FORMAT=json}: every line it writes, Micronaut's own
 * included, is one JSON object without a repeated key, and a webhook's processing is logged with its
 * installationId and eventId as fields.
 */
@MicronautTest(transactional = false)
@Property(name = "connector.dispatcher.enabled", value = "false")
@Property(name = "connector.relay.enabled", value = "false")
class JsonLogsServiceIT {

    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;

    @Test
    void everyLineIsJsonAndProcessingLinesCarryInstallationIdAndEventId() throws Exception {
        Installation installation = installations.amoCrm(null);
        Path log = Path.of("target/json-logs.log");
        Files.deleteIfExists(log);
        ServiceProcess service = ServiceProcess.start("json-logs", ServiceProcess.onDatabase(sql.jdbcUrl(), Map.of(
                "LOG_FORMAT", "json",
                // The dispatcher's line for a processed event is at DEBUG.
                "logger.levels.com.pactcrm.connector.sync.inbound", "DEBUG")));
        try {
            assertEquals(200, Http.postJson(service.baseUrl() + "/pact/webhooks/" + installation.pactHookKey(),
                    PactWebhooks.fixture("message-update-read")).statusCode());
            long eventId = ((Number) sql.queryOne("SELECT id FROM inbound_event WHERE installation_id = ?", installation.id())
                    .get("id")).longValue();
            await().atMost(Duration.ofSeconds(30)).until(() -> lines(log).stream()
                    .anyMatch(l -> "inbound_processed".equals(l.path("event").asText())
                            && Long.toString(eventId).equals(l.path("eventId").asText())));
            JsonNode processed = lines(log).stream()
                    .filter(l -> "inbound_processed".equals(l.path("event").asText())).findFirst().orElseThrow();
            assertEquals(Long.toString(installation.id()), processed.path("installationId").asText(), processed.toString());
            assertEquals("InboundDispatcher", processed.path("logger").asText());
        } finally {
            service.stopQuietly();
        }
        assertTrue(lines(log).size() >= 3, "start-up, the webhook and its processing were logged");
    }

    /** Every line of the log, parsed strictly: a line that is not one JSON object, or repeats a key, fails. */
    private static List<JsonNode> lines(Path log) throws IOException {
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (!line.isBlank()) {
                JsonNode node = LogFormatTest.STRICT.readTree(line);
                assertTrue(node.isObject(), line);
                parsed.add(node);
            }
        }
        return parsed;
    }
}
