package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.ConversationChanged;
import com.pactcrm.connector.ops.problem.ProblemException;
import io.micronaut.context.annotation.Value;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cards waiting for news of a conversation (long polling). A waiting request holds no thread and runs no query: it
 * is a future, completed by the in-process {@link ConversationChanged} the dispatcher publishes after committing a
 * message, or by its timeout. Webhooks of an installation are processed by the replica holding its lease, which may
 * not be the one a card waits on; for that, while (and only while) cards wait here, one sweep a second asks the
 * database whether any waited-for conversation changed, in one query for all of them, never one per request.
 * Entries leave the map when their future completes, so nothing outlives a wait.
 */
@Singleton
class ConversationWaiters {

    private static final Logger LOG = LoggerFactory.getLogger(ConversationWaiters.class);
    /** Conversations per sweep statement. */
    private static final int SWEEP_CHUNK = 200;

    private record Key(long installationId, long conversationId) {
    }

    private record Waiter(Instant after, CompletableFuture<Boolean> future) {
    }

    private final Map<Key, Set<Waiter>> waiters = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private final DataSource dataSource;
    private final int maxWaiters;

    ConversationWaiters(DataSource dataSource, @Value("${connector.card.max-waiting:5000}") int maxWaiters) {
        this.dataSource = DelegatingDataSource.unwrapDataSource(dataSource);
        this.maxWaiters = maxWaiters;
    }

    /**
     * @param after the card's cursor: a change committed after it ends the wait
     * @return completes with true when the conversation changed, false at the timeout
     * @throws ProblemException 503 when this replica already holds {@code connector.card.max-waiting} waits
     */
    CompletableFuture<Boolean> await(long installationId, long conversationId, Instant after, Duration timeout) {
        if (count.incrementAndGet() > maxWaiters) {
            count.decrementAndGet();
            throw new ProblemException(io.micronaut.http.HttpStatus.SERVICE_UNAVAILABLE, "Busy",
                    "too many cards are waiting for news just now; the card will ask again");
        }
        Key key = new Key(installationId, conversationId);
        Waiter waiter = new Waiter(after, new CompletableFuture<>());
        waiters.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(waiter);
        waiter.future().completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS);
        waiter.future().whenComplete((changed, error) -> {
            count.decrementAndGet();
            waiters.computeIfPresent(key, (k, set) -> {
                set.remove(waiter);
                return set.isEmpty() ? null : set;
            });
        });
        return waiter.future();
    }

    @EventListener
    void onChanged(ConversationChanged event) {
        Set<Waiter> set = waiters.get(new Key(event.installationId(), event.conversationId()));
        if (set != null) {
            List.copyOf(set).forEach(w -> w.future().complete(true));
        }
    }

    /** Number of waits in progress (tests and metrics). */
    int waiting() {
        return count.get();
    }

    /** Changes committed by other replicas: one statement per {@value #SWEEP_CHUNK} waited-for conversations. */
    @Scheduled(fixedDelay = "${connector.card.live-sweep:1s}", initialDelay = "5s")
    void sweep() {
        if (waiters.isEmpty()) {
            return;
        }
        List<Key> keys = new ArrayList<>(waiters.keySet());
        for (int from = 0; from < keys.size(); from += SWEEP_CHUNK) {
            List<Key> chunk = keys.subList(from, Math.min(keys.size(), from + SWEEP_CHUNK));
            StringBuilder sql = new StringBuilder("SELECT installation_id, pact_conversation_id, MAX(updated_at) FROM message_link WHERE ");
            for (int i = 0; i < chunk.size(); i++) {
                sql.append(i == 0 ? "" : " OR ").append("(installation_id = ? AND pact_conversation_id = ?)");
            }
            sql.append(" GROUP BY installation_id, pact_conversation_id");
            try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(sql.toString())) {
                int p = 1;
                for (Key k : chunk) {
                    st.setLong(p++, k.installationId());
                    st.setLong(p++, k.conversationId());
                }
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        Timestamp latest = rs.getTimestamp(3);
                        Set<Waiter> set = waiters.get(new Key(rs.getLong(1), rs.getLong(2)));
                        if (latest != null && set != null) {
                            Instant at = latest.toInstant();
                            List.copyOf(set).stream().filter(w -> at.isAfter(w.after())).forEach(w -> w.future().complete(true));
                        }
                    }
                }
            } catch (SQLException e) {
                LOG.warn("event=card_live_sweep_failed error=\"{}\"", e.getMessage());
            }
        }
    }
}
