package com.pactcrm.connector.sync.resilience;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of every outbound limiter, kept in the database so that all replicas count against one budget: amoCRM
 * counts an account's calls, Bitrix24 a portal's and Pact a token's, whichever replica made them (the relay on the
 * installation's owner, a widget read or an installer frame on any other). A change reads the row, applies itself at
 * the database's clock and writes back only if nobody changed the row meanwhile; otherwise it runs again on the newer
 * state. Statements run on their own autocommit connection, outside any transaction of the caller, so a permit is
 * visible to the other replicas at once and never held by a caller's long transaction.
 *
 * <p>The database's clock is the one clock all replicas share: each replica's own would differ by its skew, and a
 * call counted on a clock that runs late looks older than it is.
 */
@Singleton
public class SharedLimiterStates {

    /** A change of one limiter's state, given the stored state (null: none yet) and the database's time. */
    @FunctionalInterface
    public interface Change<R> {
        Outcome<R> apply(@Nullable String state, Instant now);
    }

    /** What a change leaves: the new state to store (null: store nothing), and what the caller gets. */
    public record Outcome<R>(@Nullable String newState, R value) {
        public static <R> Outcome<R> unchanged(R value) {
            return new Outcome<>(null, value);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(SharedLimiterStates.class);
    /** Far more than the callers of one limiter that can collide; reached only if the database misbehaves. */
    private static final int MAX_ATTEMPTS = 100;
    /** Longer than any window, pause or call: a row untouched this long holds nothing that still counts. */
    private static final int IDLE_HOURS = 2;

    private final DataSource dataSource;

    public SharedLimiterStates(DataSource dataSource) {
        this.dataSource = DelegatingDataSource.unwrapDataSource(dataSource);
    }

    /**
     * The key of one limiter: target and operation in clear (for an operator reading the table), the account hashed,
     * so that an API token or a caller-supplied host is neither stored nor able to make the key long.
     */
    public static String key(String target, String account, String operation) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(account.getBytes(StandardCharsets.UTF_8));
            return abbreviate(target) + '|' + abbreviate(operation) + '|' + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Applies {@code change} to the limiter's state as one atomic step among all replicas. */
    public <R> R change(String key, Change<R> change) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
                Stored stored = read(c, key);
                Outcome<R> outcome = change.apply(stored.state, stored.now);
                if (outcome.newState() == null || write(c, key, stored, outcome.newState())) {
                    return outcome.value();
                }
            }
            throw new IllegalStateException("limiter " + key + " changed by others " + MAX_ATTEMPTS + " times in a row");
        } catch (SQLException e) {
            throw new IllegalStateException("limiter state " + key + ": " + e.getMessage(), e);
        }
    }

    /** Forgets limiters nobody used for hours: an install callback's made-up host must not leave a row for good. */
    @Scheduled(fixedDelay = "30m", initialDelay = "5m")
    void forgetIdle() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM rate_limiter_state WHERE updated_at < NOW(6) - INTERVAL "
                     + IDLE_HOURS + " HOUR LIMIT 1000")) {
            c.setAutoCommit(true);
            int deleted;
            do {
                deleted = s.executeUpdate();
            } while (deleted == 1000);
        } catch (SQLException e) {
            LOG.warn("event=rate_limiter_cleanup_failed error={}", e.getMessage());
        }
    }

    /** An instant as the limiters' stored states write it: microseconds, the database clock's precision. */
    public static long micros(Instant at) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, at);
    }

    /** The instant {@link #micros} wrote. */
    public static Instant ofMicros(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    private record Stored(@Nullable String state, long version, Instant now) {
    }

    private static Stored read(Connection c, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT UNIX_TIMESTAMP(NOW(6)) AS now, r.state, r.version
                FROM (SELECT 1) one LEFT JOIN rate_limiter_state r ON r.limiter_key = ?""")) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                BigDecimal seconds = r.getBigDecimal("now");
                Instant now = Instant.ofEpochSecond(seconds.longValue(),
                        seconds.remainder(BigDecimal.ONE).movePointRight(9).longValue());
                String state = r.getString("state");
                return new Stored(state, state == null ? 0 : r.getLong("version"), now);
            }
        }
    }

    private static boolean write(Connection c, String key, Stored stored, String state) throws SQLException {
        if (stored.state == null) {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT IGNORE INTO rate_limiter_state (limiter_key, state, version, updated_at) VALUES (?, ?, 1, NOW(6))")) {
                s.setString(1, key);
                s.setString(2, state);
                return s.executeUpdate() == 1;
            }
        }
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE rate_limiter_state SET state = ?, version = version + 1, updated_at = NOW(6)
                WHERE limiter_key = ? AND version = ?""")) {
            s.setString(1, state);
            s.setString(2, key);
            s.setLong(3, stored.version);
            return s.executeUpdate() == 1;
        }
    }

    private static String abbreviate(String name) {
        return name.length() <= 24 ? name : name.substring(0, 24);
    }
}
