package com.pactcrm.connector.widgetapi;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Read-only queries over one installation's journal, outbox and sync log for the admin screens. Plain JDBC:
 * they mix tables and return projections no entity has, and they never run inside a write transaction.
 */
@Singleton
class InstallationSyncQueries {

    /** A queue of one installation: items waiting, items given up on, and the age of the oldest waiting one. */
    record Queue(long pending, long failed, long lagSeconds) {
    }

    /**
     * One journal line: an inbound event ({@code event-<id>}) or an outbound command ({@code command-<id>}), with
     * what happened ({@code outcome}) or why not ({@code error}); {@code retryable} for parked events and dead letters.
     */
    record JournalEntry(String id, String direction, String kind, String state, Instant at, int attempts,
                        String outcome, String error, boolean retryable) {
    }

    private static final int MAX_ROWS = 100;

    private final DataSource dataSource;

    InstallationSyncQueries(DataSource dataSource) {
        this.dataSource = DelegatingDataSource.unwrapDataSource(dataSource);
    }

    Queue journal(long installationId, Instant now) {
        return queue("""
                SELECT SUM(state IN ('NEW', 'PROCESSING')), SUM(state = 'PARKED'),
                       MIN(CASE WHEN state IN ('NEW', 'PROCESSING') THEN received_at END)
                FROM inbound_event WHERE installation_id = ?""", installationId, now);
    }

    Queue outbox(long installationId, Instant now) {
        return queue("""
                SELECT SUM(state IN ('PENDING', 'IN_FLIGHT')), SUM(state = 'DEAD'),
                       MIN(CASE WHEN state IN ('PENDING', 'IN_FLIGHT') THEN origin_at END)
                FROM outbox_command WHERE installation_id = ?""", installationId, now);
    }

    @Nullable
    Instant lastSync(long installationId) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT MAX(at) FROM sync_log WHERE installation_id = ?")) {
            ps.setLong(1, installationId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Timestamp at = rs.getTimestamp(1);
                return at == null ? null : at.toInstant();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The 95th percentile, in milliseconds, of source-to-delivery time over the installation's last 1,000 delivered
     * commands of the past day; null when none was delivered.
     */
    @Nullable
    Long p95EndToEndMillis(long installationId, Instant now) {
        List<Long> millis = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                SELECT TIMESTAMPDIFF(MICROSECOND, origin_at, done_at) DIV 1000 FROM outbox_command
                WHERE installation_id = ? AND state = 'DONE' AND done_at >= ? ORDER BY id DESC LIMIT 1000""")) {
            ps.setLong(1, installationId);
            ps.setTimestamp(2, Timestamp.from(now.minusSeconds(24 * 3600)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    millis.add(Math.max(0, rs.getLong(1)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        if (millis.isEmpty()) {
            return null;
        }
        millis.sort(null);
        return millis.get((int) Math.ceil(0.95 * millis.size()) - 1);
    }

    /** Parked events and dead letters, newest first. */
    List<JournalEntry> failures(long installationId) {
        return search(installationId, null, "e.state = 'PARKED'", "o.state = 'DEAD'");
    }

    /**
     * The newest journal lines, optionally only those whose raw event or command payload mentions {@code number}
     * (a phone's digits or a conversation id) as a whole number.
     */
    List<JournalEntry> search(long installationId, @Nullable String number) {
        return search(installationId, number, "TRUE", "TRUE");
    }

    private List<JournalEntry> search(long installationId, @Nullable String number, String eventFilter, String commandFilter) {
        String mentions = number == null ? "TRUE" : "REGEXP ?";
        String sql = "(SELECT 'event' AS direction, e.id, e.source AS kind, e.state, e.received_at AS at, e.attempts, "
                + "e.outcome, e.last_error FROM inbound_event e WHERE e.installation_id = ? AND " + eventFilter
                + (number == null ? "" : " AND CAST(e.body AS CHAR CHARACTER SET utf8mb4) " + mentions)
                + " ORDER BY e.id DESC LIMIT " + MAX_ROWS + ") UNION ALL "
                + "(SELECT 'command', o.id, o.kind, o.state, o.created_at, o.attempts, o.remote_id, o.last_error "
                + "FROM outbox_command o WHERE o.installation_id = ? AND " + commandFilter
                + (number == null ? "" : " AND o.payload " + mentions)
                + " ORDER BY o.id DESC LIMIT " + MAX_ROWS + ") ORDER BY at DESC LIMIT " + MAX_ROWS;
        // A whole number only: conversation 12 must not find conversation 123.
        String pattern = number == null ? null : "(^|[^0-9])" + number + "([^0-9]|$)";
        List<JournalEntry> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setLong(i++, installationId);
            if (pattern != null) {
                ps.setString(i++, pattern);
            }
            ps.setLong(i++, installationId);
            if (pattern != null) {
                ps.setString(i, pattern);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String direction = rs.getString(1);
                    String state = rs.getString(4);
                    boolean event = direction.equals("event");
                    String outcome = rs.getString(7);
                    out.add(new JournalEntry(direction + "-" + rs.getLong(2), direction, rs.getString(3), state,
                            rs.getTimestamp(5).toInstant(), rs.getInt(6),
                            event || outcome == null ? outcome : "remote id " + outcome, rs.getString(8),
                            event ? state.equals("PARKED") : state.equals("DEAD")));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private Queue queue(String sql, long installationId, Instant now) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, installationId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Timestamp oldest = rs.getTimestamp(3);
                return new Queue(rs.getLong(1), rs.getLong(2),
                        oldest == null ? 0 : Math.max(0, now.getEpochSecond() - oldest.toInstant().getEpochSecond()));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
