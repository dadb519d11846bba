package com.pactcrm.connector.sync;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.inbound.InboundJournal;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

@MicronautTest(transactional = false)
class ParkedEventIT {

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    InboundJournal journal;
    @Inject
    TestSql sql;

    @Test
    void anEventThatCannotBeAppliedIsParkedWithItsErrorAndCanBeRetried() {
        Installation installation = installations.amoCrm(null);
        // A valid envelope whose message has no numeric id: accepted at the edge, unusable later.
        String body = "{\"event\":\"update\",\"type\":\"message\",\"object\":{\"id\":\"not-a-number\",\"status\":\"read\"}}";
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), body).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'PARKED'", installation.id()) == 1);
        Map<String, Object> parked = sql.queryOne("SELECT id, attempts, last_error FROM inbound_event WHERE installation_id = ?",
                installation.id());
        assertEquals(1, ((Number) parked.get("attempts")).intValue(), "a malformed event is not retried blindly");
        assertTrue(parked.get("last_error").toString().contains("missing numeric id"), parked.toString());

        long id = ((Number) parked.get("id")).longValue();
        assertTrue(journal.retryParked(installation.id(), id));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE id = ? AND state = 'PARKED' AND attempts = 1", id) == 1);
        assertEquals(1, sql.count("SELECT COUNT(*) FROM inbound_event WHERE id = ? AND processed_at IS NULL", id));
    }
}
