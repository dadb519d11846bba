package com.pactcrm.connector.ops.retention;

import java.time.Duration;
import java.util.List;

/**
 * One kind of row retention deletes: rows of {@code table} matching {@code condition} whose {@code timeColumn} is older
 * than {@code age}. {@code keepIf}, when set, is a condition under which an old row stays (checked per row, so its
 * deletes walk the table in windows of ids instead of re-reading the rows it keeps).
 */
record Purge(String name, String table, String timeColumn, String condition, String keepIf, Duration age) {

    static List<Purge> all(RetentionConfiguration c) {
        // Each state separately: a DELETE over "state IN (a, b) ORDER BY id" would sort both index ranges first.
        return List.of(
                new Purge("done_events", "inbound_event", "received_at", "state = 'DONE'", null, c.doneEvents()),
                new Purge("parked_events", "inbound_event", "received_at", "state = 'PARKED'", null, c.parkedEvents()),
                new Purge("delivered_commands", "outbox_command", "created_at", "state = 'DONE'", null, c.deliveredCommands()),
                new Purge("superseded_commands", "outbox_command", "created_at", "state = 'SUPERSEDED'", null,
                        c.deliveredCommands()),
                new Purge("dead_commands", "outbox_command", "created_at", "state = 'DEAD'", null, c.deadCommands()),
                new Purge("sync_log", "sync_log", "at", "TRUE", null, c.syncLog()),
                new Purge("unlinked_messages", "message_link", "created_at", "TRUE",
                        "EXISTS (SELECT 1 FROM conversation_link c WHERE c.installation_id = message_link.installation_id"
                                + " AND c.pact_conversation_id = message_link.pact_conversation_id)", c.unlinkedMessages()));
    }

    /**
     * Up to {@code LIMIT} matching rows below the boundary id, oldest first: a range of the (state, id) index or of the
     * primary key, so the statement stops after its batch and locks only the rows it deletes.
     */
    String deleteBatch() {
        return "DELETE FROM " + table + " WHERE " + condition + " AND id < ? AND " + timeColumn + " < ? ORDER BY id LIMIT ?";
    }

    /** The ids of the next window, for a purge that keeps some old rows. */
    String window() {
        return "SELECT id FROM " + table + " WHERE id > ? AND id < ? ORDER BY id LIMIT ?";
    }

    /** Deletes the window's rows that are old and not kept; the window's ids are bound after the cutoff. */
    String deleteInWindow(int ids) {
        return "DELETE FROM " + table + " WHERE " + timeColumn + " < ? AND id IN (" + "?, ".repeat(ids - 1) + "?) AND NOT "
                + keepIf;
    }
}
