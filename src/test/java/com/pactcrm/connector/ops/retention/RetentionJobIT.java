package com.pactcrm.connector.ops.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.chat.UnansweredTasks;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Property;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Against the embedded MariaDB: rows older than their retention go, newer ones and unfinished ones stay, in batches
 * smaller than the data; a linked conversation's message links and back-fill state stay; a closed task stays while a
 * command of it is unfinished; a replica that finds another running skips.
 */
@MicronautTest(transactional = false)
@Property(name = "connector.dispatcher.enabled", value = "false")
@Property(name = "connector.relay.enabled", value = "false")
// Small batches, so every purge takes several.
@Property(name = "connector.retention.batch-size", value = "3")
@Property(name = "connector.retention.pause", value = "0ms")
class RetentionJobIT {

    @Inject
    RetentionJob job;
    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;
    @Inject
    DataSource dataSource;
    @Inject
    MeterRegistry meters;

    final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Installation installation;
    /** A second installation, so that the windows over (installation_id, ...) keys cross from one to the next. */
    Installation other;

    @BeforeEach
    void empty() {
        for (String table : List.of("inbound_event", "outbox_command", "sync_log", "message_link", "conversation_link",
                "conversation_history", "card_attachment", "crm_task")) {
            sql.update("DELETE FROM " + table);
        }
        installation = installations.amoCrm(null);
        other = installations.amoCrm(null);
    }

    @Test
    void deletesWhatIsOlderThanItsRetentionAndKeepsTheRestAndUnfinishedWork() {
        // Inserted oldest first, as production inserts them: ids follow time.
        for (int i = 0; i < 7; i++) {
            event("old-done-" + i, "DONE", 100);
        }
        event("old-parked", "PARKED", 100);
        event("old-new", "NEW", 100);
        event("old-processing", "PROCESSING", 100);
        event("parked-30d", "PARKED", 30);
        event("done-20d", "DONE", 20);
        event("done-10d", "DONE", 10);
        for (int i = 0; i < 5; i++) {
            command("old-done-" + i, "DONE", 100);
        }
        command("old-dead", "DEAD", 100);
        command("old-superseded", "SUPERSEDED", 100);
        command("old-pending", "PENDING", 100);
        command("old-in-flight", "IN_FLIGHT", 100);
        command("dead-30d", "DEAD", 30);
        command("done-20d", "DONE", 20);
        command("done-1d", "DONE", 1);
        for (int i = 0; i < 4; i++) {
            log("old-" + i, 40);
        }
        log("20d", 20);
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 500, 'lead', '1')", installation.id());
        for (int i = 0; i < 5; i++) {
            message(100 + i, 500, 30);
            message(200 + i, 600, 30);
        }
        message(300, 600, 5);

        RetentionJob.Run run = job.run(now);

        assertTrue(run.ran());
        assertEquals(Set.of("old-new", "old-processing", "parked-30d", "done-10d"), keys("inbound_event", "dedupe_key"),
                "processed events older than 14 days and parked ones older than 90 days are gone; unfinished ones stay");
        assertEquals(Set.of("old-pending", "old-in-flight", "dead-30d", "done-1d"), keys("outbox_command", "idempotency_key"),
                "delivered and superseded commands older than 14 days and dead letters older than 90 days are gone");
        assertEquals(Set.of("20d"), keys("sync_log", "kind"), "the sync log keeps 30 days");
        assertEquals(Set.of("100", "101", "102", "103", "104", "300"), keys("message_link", "pact_message_id"),
                "a linked conversation's message links stay; an unlinked one's go after 14 days");
        assertEquals(7L + 1 + 1, run.deleted().get("done_events") + run.deleted().get("parked_events"));
        assertEquals(5L + 1 + 1 + 1, run.deleted().get("delivered_commands") + run.deleted().get("superseded_commands")
                + run.deleted().get("dead_commands"));
        assertEquals(5L, run.deleted().get("unlinked_messages"));
        assertTrue(meters.counter("connector.retention.deleted", "policy", "done_events").count() >= 8);

        RetentionJob.Run again = job.run(now);
        assertEquals(0, again.total(), "nothing left to delete: " + again.deleted());
    }

    @Test
    void cardAndTaskLeftoversGoByTheirOwnRulesAndWhatIsStillUsedStays() {
        // Back-fill state: kept while the conversation is linked (whatever its age), gone at once when it is not.
        link(installation, 500);
        link(other, 600);
        history(installation, 500, 100);
        history(installation, 600, 30);
        history(installation, 700, 0);
        history(installation, 800, 2);
        history(other, 500, 30);
        history(other, 600, 100);
        history(other, 700, 1);
        // Card uploads: 7 days from the upload.
        for (int i = 0; i < 4; i++) {
            attachment(installation, 9000 + i, 8);
        }
        attachment(installation, 9100, 6);
        attachment(other, 9000, 30);
        attachment(other, 9200, 1);
        // Tasks: open ones stay; closed ones 30 days from the close, unless a command of theirs is unfinished.
        long openOld = task("open-old", 100, null);
        long closedDone = task("closed-done", 100, 40);
        long closedDeadClose = task("closed-dead-close", 90, 40);
        long closedPendingOpen = task("closed-pending-open", 80, 35);
        long closedSuperseded = task("closed-superseded", 70, 31);
        long closedRecently = task("closed-recently", 60, 10);
        task("closed-no-commands", 50, 45);
        long closedToday = task("closed-today", 2, 0);
        command(UnansweredTasks.OPEN_COMMAND + closedDone, "DONE", 20);
        command(UnansweredTasks.CLOSE_COMMAND + closedDone, "DONE", 20);
        command(UnansweredTasks.OPEN_COMMAND + closedDeadClose, "DONE", 20);
        command(UnansweredTasks.CLOSE_COMMAND + closedDeadClose, "DEAD", 40);
        command(UnansweredTasks.OPEN_COMMAND + closedPendingOpen, "PENDING", 35);
        command(UnansweredTasks.CLOSE_COMMAND + closedSuperseded, "SUPERSEDED", 10);

        RetentionJob.Run run = job.run(now);

        assertEquals(Set.of("a:500", "b:600"), byInstallation("conversation_history", "pact_conversation_id"),
                "a linked conversation's back-fill state stays, however old; an unlinked one's goes, however new");
        assertEquals(Set.of("a:9100", "b:9200"), byInstallation("card_attachment", "pact_attachment_id"),
                "uploads older than 7 days are gone");
        assertEquals(Set.of(openOld, closedDeadClose, closedPendingOpen, closedRecently, closedToday),
                sql.query("SELECT id FROM crm_task").stream().map(r -> ((Number) r.get("id")).longValue())
                        .collect(Collectors.toSet()),
                "tasks closed more than 30 days ago are gone, unless their close is dead or their open still pending");
        assertEquals(5L, run.deleted().get("unlinked_histories"));
        assertEquals(5L, run.deleted().get("card_attachments"));
        assertEquals(3L, run.deleted().get("closed_tasks"));

        RetentionJob.Run again = job.run(now);
        assertEquals(0, again.total(), "nothing left to delete: " + again.deleted());
    }

    /** Concurrent inserts can leave a slightly newer row below an older one's id: the time check still keeps it. */
    @Test
    void aNewerRowBelowTheBoundaryIsKept() {
        event("old-1", "DONE", 100);
        event("new-out-of-order", "DONE", 1);
        event("old-2", "DONE", 100);
        event("new", "DONE", 1);
        job.run(now);
        assertEquals(Set.of("new-out-of-order", "new"), keys("inbound_event", "dedupe_key"));
    }

    @Test
    void aReplicaThatFindsAnotherRunningSkipsItsTurn() throws Exception {
        event("old", "DONE", 100);
        try (Connection other = DelegatingDataSource.unwrapDataSource(dataSource).getConnection();
             PreparedStatement lock = other.prepareStatement("SELECT GET_LOCK(" + RetentionJob.LOCK_NAME + ", 0)")) {
            try (ResultSet rs = lock.executeQuery()) {
                assertTrue(rs.next() && rs.getInt(1) == 1);
            }
            RetentionJob.Run skipped = job.run(now);
            assertFalse(skipped.ran());
            assertEquals(Set.of("old"), keys("inbound_event", "dedupe_key"));
            try (PreparedStatement release = other.prepareStatement("SELECT RELEASE_LOCK(" + RetentionJob.LOCK_NAME + ")")) {
                release.execute();
            }
        }
        assertTrue(job.run(now).ran());
        assertEquals(Set.of(), keys("inbound_event", "dedupe_key"));
    }

    @Test
    void theBoundaryIsTheFirstIdThatIsNotOld() throws Exception {
        for (int age : new int[] {50, 40, 30, 20, 10}) {
            log("age-" + age, age);
        }
        List<Long> ids = sql.query("SELECT id FROM sync_log ORDER BY id").stream()
                .map(r -> ((Number) r.get("id")).longValue()).toList();
        try (Connection c = DelegatingDataSource.unwrapDataSource(dataSource).getConnection()) {
            assertEquals(ids.get(2), IdBoundary.find(c, "sync_log", "at", now.minus(Duration.ofDays(35))));
            assertEquals(ids.get(0), IdBoundary.find(c, "sync_log", "at", now.minus(Duration.ofDays(60))));
            assertEquals(ids.get(4) + 1, IdBoundary.find(c, "sync_log", "at", now));
            sql.update("DELETE FROM sync_log");
            assertEquals(0, IdBoundary.find(c, "sync_log", "at", now));
        }
    }

    private Set<String> keys(String table, String column) {
        return sql.query("SELECT " + column + " FROM " + table).stream().map(r -> String.valueOf(r.get(column)))
                .collect(Collectors.toSet());
    }

    /** {@code column} of each row, prefixed by "a:" for the first installation's rows and "b:" for the other's. */
    private Set<String> byInstallation(String table, String column) {
        return sql.query("SELECT installation_id, " + column + " FROM " + table).stream()
                .map(r -> (((Number) r.get("installation_id")).longValue() == installation.id() ? "a:" : "b:")
                        + r.get(column))
                .collect(Collectors.toSet());
    }

    private Timestamp daysAgo(int days) {
        return Timestamp.from(now.minus(Duration.ofDays(days)));
    }

    private void event(String key, String state, int daysAgo) {
        sql.update("INSERT INTO inbound_event (installation_id, source, dedupe_key, body, state, next_attempt_at, received_at) "
                + "VALUES (?, 'PACT', ?, '{}', ?, ?, ?)", installation.id(), key, state, daysAgo(daysAgo), daysAgo(daysAgo));
    }

    private void command(String key, String state, int daysAgo) {
        sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, state, next_attempt_at, "
                + "origin_at, created_at) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', ?, '{}', ?, ?, ?, ?)",
                installation.id(), key, state, daysAgo(daysAgo), daysAgo(daysAgo), daysAgo(daysAgo));
    }

    private void log(String kind, int daysAgo) {
        sql.update("INSERT INTO sync_log (installation_id, at, kind, outcome) VALUES (?, ?, ?, 'DONE')",
                installation.id(), daysAgo(daysAgo), kind);
    }

    private void link(Installation inst, long conversationId) {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, ?, 'lead', '1')", inst.id(), conversationId);
    }

    /** A back-fill read {@code daysAgo} days ago; 0: a minute ago. */
    private void history(Installation inst, long conversationId, int daysAgo) {
        sql.update("INSERT INTO conversation_history (installation_id, pact_conversation_id, pages_read, complete, read_at) "
                + "VALUES (?, ?, 1, TRUE, ?)", inst.id(), conversationId,
                daysAgo == 0 ? Timestamp.from(now.minus(Duration.ofMinutes(1))) : daysAgo(daysAgo));
    }

    private void attachment(Installation inst, long attachmentId, int daysAgo) {
        sql.update("INSERT INTO card_attachment (installation_id, pact_attachment_id, name, created_at) "
                + "VALUES (?, ?, 'a.pdf', ?)", inst.id(), attachmentId, daysAgo(daysAgo));
    }

    /** A task opened {@code openedDaysAgo} days ago, closed {@code closedDaysAgo} days ago (null: still open). */
    private long task(String entityId, int openedDaysAgo, Integer closedDaysAgo) {
        boolean open = closedDaysAgo == null;
        sql.update("INSERT INTO crm_task (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id, state, "
                + "open_key, due_at, created_at, closed_at) VALUES (?, 500, 'lead', ?, ?, ?, ?, ?, ?)", installation.id(),
                entityId, open ? "OPEN" : "CLOSED", open ? "500:lead:" + entityId : null, daysAgo(openedDaysAgo),
                daysAgo(openedDaysAgo), open ? null : daysAgo(closedDaysAgo));
        return ((Number) sql.queryOne("SELECT id FROM crm_task WHERE crm_entity_id = ?", entityId).get("id")).longValue();
    }

    private void message(long messageId, long conversationId, int daysAgo) {
        sql.update("INSERT INTO message_link (installation_id, pact_message_id, pact_conversation_id, status, created_at) "
                + "VALUES (?, ?, ?, 'SENT', ?)", installation.id(), messageId, conversationId, daysAgo(daysAgo));
    }
}
