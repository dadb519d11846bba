package com.pactcrm.connector.ops.retention;

import com.pactcrm.connector.chat.UnansweredTasks;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * One kind of row retention deletes: rows of {@code table} matching {@code condition} whose {@code timeColumn} is older
 * than {@code age}. {@code keepIf}, when set, is a condition under which an old row stays (checked per row, so its
 * deletes walk the table in windows of keys instead of re-reading the rows it keeps).
 *
 * <p>{@code key} is the primary key (BIGINT columns). {@code arrivalColumn}, for a table keyed by an {@code id} that
 * follows arrival, is the arrival time: ids at or above the first one that is not old are never looked at (an age
 * counted from a later time, a task's close, is old only where its arrival is). Null for a table whose key does not
 * follow time: its windows walk the whole primary key.
 */
record Purge(String name, String table, List<String> key, String arrivalColumn, String timeColumn, String condition,
             String keepIf, Duration age) {

    private static final List<String> ID = List.of("id");

    static List<Purge> all(RetentionConfiguration c) {
        // Each state separately: a DELETE over "state IN (a, b) ORDER BY id" would sort both index ranges first.
        return List.of(
                arriving("done_events", "inbound_event", "received_at", "state = 'DONE'", null, c.doneEvents()),
                arriving("parked_events", "inbound_event", "received_at", "state = 'PARKED'", null, c.parkedEvents()),
                arriving("delivered_commands", "outbox_command", "created_at", "state = 'DONE'", null,
                        c.deliveredCommands()),
                arriving("superseded_commands", "outbox_command", "created_at", "state = 'SUPERSEDED'", null,
                        c.deliveredCommands()),
                arriving("dead_commands", "outbox_command", "created_at", "state = 'DEAD'", null, c.deadCommands()),
                arriving("sync_log", "sync_log", "at", "TRUE", null, c.syncLog()),
                arriving("unlinked_messages", "message_link", "created_at", "TRUE", linked("message_link"),
                        c.unlinkedMessages()),
                // Only how far a linked conversation's Pact history was back-filled (the messages are message_link's).
                // Kept while linked; once not (the connector never unlinks; a link removed by hand), at the next run:
                // outliving a back-filled message the purge above deleted, it would make a relinked card believe the
                // history complete and show the gap for good. Going first costs a relinked card one Pact page read
                // again, which the stored messages deduplicate.
                new Purge("unlinked_histories", "conversation_history", List.of("installation_id", "pact_conversation_id"),
                        null, "read_at", "TRUE", linked("conversation_history"), Duration.ZERO),
                // The file itself is at Pact (the connector keeps no bytes; a sent one is part of the client's
                // conversation there). The row only lets the card's next reply name it, and a queued reply no longer
                // reads it, so after the age a file staged in a card and never sent must be uploaded again.
                new Purge("card_attachments", "card_attachment", List.of("installation_id", "pact_attachment_id"), null,
                        "created_at", "TRUE", null, c.cardAttachments()),
                // The CRM keeps the task itself; the row carries its CRM id from the open command to the close command.
                // Open tasks stay (the answer closes them through it), and so does a closed one while a command of it
                // is pending, in flight or dead (an admin may retry it): without the row a close does nothing and the
                // CRM task would stay open.
                new Purge("closed_tasks", "crm_task", ID, "created_at", "closed_at", "state = 'CLOSED'",
                        "(" + unfinishedTaskCommand(UnansweredTasks.OPEN_COMMAND) + " OR "
                                + unfinishedTaskCommand(UnansweredTasks.CLOSE_COMMAND) + ")", c.closedTasks()));
    }

    /** Rows of a table keyed by an arrival-ordered id, aged from their arrival. */
    private static Purge arriving(String name, String table, String timeColumn, String condition, String keepIf,
                                  Duration age) {
        return new Purge(name, table, ID, timeColumn, timeColumn, condition, keepIf, age);
    }

    /** The row's conversation is linked to a CRM entity. */
    private static String linked(String table) {
        return "EXISTS (SELECT 1 FROM conversation_link c WHERE c.installation_id = " + table + ".installation_id"
                + " AND c.pact_conversation_id = " + table + ".pact_conversation_id)";
    }

    /**
     * The task's command with this key prefix is not done. One key per lookup: an equality on the whole
     * (installation_id, idempotency_key) unique key is one index read, where MariaDB reads an IN of two keys as a range of
     * the (state, id) index, over every installation's pending and dead commands.
     */
    private static String unfinishedTaskCommand(String keyPrefix) {
        return "EXISTS (SELECT 1 FROM outbox_command o WHERE o.installation_id = crm_task.installation_id"
                + " AND o.idempotency_key = CONCAT('" + keyPrefix + "', crm_task.id)"
                + " AND o.state NOT IN ('DONE', 'SUPERSEDED'))";
    }

    /** Whether the deletes go by windows of keys: some old rows are kept, or the key does not follow arrival. */
    boolean walksWindows() {
        return keepIf != null || arrivalColumn == null;
    }

    /**
     * Up to {@code LIMIT} matching rows below the boundary id, oldest first: a range of the (state, id) index or of the
     * primary key, so the statement stops after its batch and locks only the rows it deletes.
     */
    String deleteBatch() {
        return "DELETE FROM " + table + " WHERE " + condition + " AND id < ? AND " + timeColumn + " < ? ORDER BY id LIMIT ?";
    }

    /** The keys of the next window, after a key (bound first) and, with an arrival column, below the boundary id. */
    String window() {
        String columns = String.join(", ", key);
        return "SELECT " + columns + " FROM " + table + " WHERE " + compare(0, ">", ">")
                + (arrivalColumn == null ? "" : " AND id < ?") + " ORDER BY " + columns + " LIMIT ?";
    }

    /**
     * Deletes the window's rows that are old and not kept: the primary-key range after the previous window's last key
     * and up to this one's (bound in that order, then the cutoff).
     */
    String deleteInWindow() {
        return "DELETE FROM " + table + " WHERE " + compare(0, ">", ">") + " AND " + compare(0, "<", "<=") + " AND "
                + timeColumn + " < ? AND " + condition + (keepIf == null ? "" : " AND NOT " + keepIf);
    }

    /** Binds a key for one {@link #compare} from {@code index}; returns the next index. */
    int bindKey(PreparedStatement ps, int index, long[] values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            ps.setLong(index++, values[i]);
            if (i < values.length - 1) {
                ps.setLong(index++, values[i]);
            }
        }
        return index;
    }

    /**
     * The key from column {@code from} on compared with a bound one, column by column ({@code (a > ? OR (a = ? AND b > ?))}
     * for after): a range of the primary key, where MariaDB 11.4 scans the whole table for a DELETE bounded by row
     * constructors ({@code (a, b) > (?, ?)}).
     */
    private String compare(int from, String op, String lastOp) {
        String column = key.get(from);
        if (from == key.size() - 1) {
            return column + " " + lastOp + " ?";
        }
        return "(" + column + " " + op + " ? OR (" + column + " = ? AND " + compare(from + 1, op, lastOp) + "))";
    }
}
