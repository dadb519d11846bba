package com.pactcrm.connector.ops.retention;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * The first id of a table whose row is not older than a cutoff, found by bisecting the primary key: the tables
 * retention finds it for take ids in arrival order, so their old rows are the ones below that id. About 30 point reads
 * on the primary key, where an index on the time column would cost every insert on the hot path.
 */
final class IdBoundary {

    private IdBoundary() {
    }

    /** Rows with an id below the result are older than {@code cutoff}, give or take the jitter of concurrent inserts. */
    static long find(Connection c, String table, String timeColumn, Instant cutoff) throws SQLException {
        long lo;
        long hi;
        try (PreparedStatement ps = c.prepareStatement("SELECT MIN(id), MAX(id) FROM " + table);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            lo = rs.getLong(1);
            if (rs.wasNull()) {
                return 0;
            }
            hi = rs.getLong(2) + 1;
        }
        Timestamp at = Timestamp.from(cutoff);
        try (PreparedStatement first = c.prepareStatement(
                "SELECT id, " + timeColumn + " < ? FROM " + table + " WHERE id >= ? ORDER BY id LIMIT 1")) {
            // Invariant: the first row at or after hi is not old (or there is none); every row below lo is old.
            while (lo < hi) {
                long mid = lo + (hi - lo) / 2;
                first.setTimestamp(1, at);
                first.setLong(2, mid);
                try (ResultSet rs = first.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(2)) {
                        hi = mid;
                    } else {
                        lo = rs.getLong(1) + 1;
                    }
                }
            }
        }
        return lo;
    }
}
