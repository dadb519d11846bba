package com.pactcrm.connector.sync.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.outbox.CommandKind.Target;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.annotation.Property;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The outbox's own rules, with the relay stopped so each step can be looked at. */
@MicronautTest(transactional = false)
@Property(name = "connector.relay.enabled", value = "false")
@Property(name = "connector.dispatcher.enabled", value = "false")
// Claims are made by hand here as "test-owner", which holds no installation lease.
@Property(name = "connector.lease.enabled", value = "false")
class OutboxCoalescingIT {

    @Inject
    Outbox outbox;
    @Inject
    OutboxClaims claims;
    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;

    @Test
    void aWaitingStatusCommandTakesTheLatestStatusInsteadOfQueueingAnother() {
        Installation installation = installations.amoCrm(null);
        for (String status : List.of("SENT", "DELIVERED", "READ")) {
            assertTrue(outbox.enqueue(installation.id(), CommandKind.CRM_MESSAGE_STATUS, "status:1:" + status, "status:1",
                    Map.of("status", status), null, Instant.now()));
        }
        List<Map<String, Object>> rows = sql.query("SELECT payload, idempotency_key FROM outbox_command WHERE installation_id = ?",
                installation.id());
        assertEquals(1, rows.size());
        assertTrue(rows.get(0).get("payload").toString().contains("READ"));
        assertEquals("status:1:READ", rows.get(0).get("idempotency_key"));
    }

    @Test
    void withTwoWaitingCommandsForOneMessageOnlyTheNewestTakesTheLatestStatus() {
        Installation installation = installations.amoCrm(null);
        for (String status : List.of("SENT", "DELIVERED")) {
            // An in-flight command that failed back to PENDING beside a newer one leaves two waiting rows.
            sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, coalesce_key, payload, state, "
                    + "next_attempt_at, origin_at) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', ?, 'status:5', '{}', 'PENDING', NOW(3), NOW(3))",
                    installation.id(), "status:5:" + status);
        }
        assertTrue(outbox.enqueue(installation.id(), CommandKind.CRM_MESSAGE_STATUS, "status:5:READ", "status:5",
                Map.of("status", "READ"), null, null));
        assertEquals(List.of("status:5:SENT", "status:5:READ"), sql.query(
                "SELECT idempotency_key FROM outbox_command WHERE installation_id = ? ORDER BY id", installation.id())
                .stream().map(r -> r.get("idempotency_key").toString()).toList());
    }

    @Test
    void moreCommandsAreOnTheirWayOnlyWhileWebhooksThatQueueThemAreDue() {
        Installation installation = installations.amoCrm(null);
        OutboxLane crm = new OutboxLane(installation.id(), Target.CRM);
        OutboxLane pact = new OutboxLane(installation.id(), Target.PACT);
        assertFalse(claims.moreOnTheWay(crm));

        long pactEvent = journal(installation, "PACT", "NOW(3)");
        assertTrue(claims.moreOnTheWay(crm), "a Pact webhook not processed yet may queue CRM timeline entries");
        assertFalse(claims.moreOnTheWay(pact), "Pact's webhooks queue nothing for Pact");

        sql.update("UPDATE inbound_event SET state = 'DONE' WHERE id = ?", pactEvent);
        assertFalse(claims.moreOnTheWay(crm));
        journal(installation, "PACT", "NOW(3) + INTERVAL 1 MINUTE");
        assertFalse(claims.moreOnTheWay(crm), "an event waiting for its retry a minute from now is not on its way");

        journal(installation, "AMOCRM", "NOW(3)");
        assertTrue(claims.moreOnTheWay(pact), "the CRM's webhooks queue Pact's commands");
    }

    private long journal(Installation installation, String source, String nextAttemptAt) {
        sql.update("INSERT INTO inbound_event (installation_id, source, dedupe_key, body, state, next_attempt_at, received_at) "
                + "VALUES (?, ?, ?, '{}', 'NEW', " + nextAttemptAt + ", NOW(3))", installation.id(), source,
                UUID.randomUUID().toString());
        return ((Number) sql.queryOne("SELECT MAX(id) AS id FROM inbound_event WHERE installation_id = ?", installation.id())
                .get("id")).longValue();
    }

    @Test
    void theSameIdempotencyKeyQueuesOneCommand() {
        Installation installation = installations.amoCrm(null);
        assertTrue(outbox.enqueue(installation.id(), CommandKind.PACT_WRITE_FIRST, "chat:abc", null, Map.of("n", 1), null, null));
        assertFalse(outbox.enqueue(installation.id(), CommandKind.PACT_WRITE_FIRST, "chat:abc", null, Map.of("n", 2), null, null));
        assertEquals(1, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id()));
    }

    @Test
    void olderCommandsWithTheSameCoalesceKeyAreSupersededWhenClaimedTogether() {
        Installation installation = installations.amoCrm(null);
        for (String status : List.of("SENT", "READ")) {
            // Two waiting rows for one message can exist when the first was re-queued after a failure.
            sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, coalesce_key, payload, state, "
                    + "next_attempt_at, origin_at) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', ?, 'status:9', ?, 'PENDING', NOW(3), NOW(3))",
                    installation.id(), "status:9:" + status, "{\"status\":\"" + status + "\"}");
        }
        List<OutboxCommand> claimed = claims.claim("test-owner", new OutboxLane(installation.id(), Target.CRM), 50).commands();
        assertEquals(1, claimed.size());
        assertTrue(claimed.get(0).payload().contains("READ"));
        assertEquals(1, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'SUPERSEDED'",
                installation.id()));
    }

    @Test
    void aCommandWaitsWhileAnOlderOneForTheSameMessageIsInFlight() {
        Installation installation = installations.amoCrm(null);
        sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, coalesce_key, payload, state, "
                + "next_attempt_at, origin_at, lease_owner, lease_until) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', 'status:7:SENT', "
                + "'status:7', '{}', 'IN_FLIGHT', NOW(3), NOW(3), 'other', NOW(3) + INTERVAL 1 MINUTE)", installation.id());
        outbox.enqueue(installation.id(), CommandKind.CRM_MESSAGE_STATUS, "status:7:READ", "status:7", Map.of("status", "READ"),
                null, null);
        assertTrue(claims.claim("test-owner", new OutboxLane(installation.id(), Target.CRM), 50).commands().isEmpty(),
                "its CRM entry id is not known until the first one is done");
    }
}
