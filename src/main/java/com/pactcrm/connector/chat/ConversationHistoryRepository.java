package com.pactcrm.connector.chat;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.Optional;

/** {@code conversation_history}: how many pages of a conversation's Pact history were read, and whether that was all. */
@JdbcRepository(dialect = Dialect.MYSQL)
public interface ConversationHistoryRepository extends GenericRepository<ConversationHistoryRepository.HistoryRead, Long> {

    /** One conversation's back-fill state. */
    @io.micronaut.data.annotation.MappedEntity("conversation_history")
    record HistoryRead(@io.micronaut.data.annotation.Id long installationId, long pactConversationId, int pagesRead,
                       boolean complete, Instant readAt) {
    }

    @Query("""
            SELECT * FROM conversation_history WHERE installation_id = :installationId
              AND pact_conversation_id = :conversationId""")
    Optional<HistoryRead> find(long installationId, long conversationId);

    /** Pages are read in order; a page read twice (two replicas at once) leaves the furthest state. */
    @Query("""
            INSERT INTO conversation_history (installation_id, pact_conversation_id, pages_read, complete, read_at)
            VALUES (:installationId, :conversationId, :pagesRead, :complete, :readAt)
            ON DUPLICATE KEY UPDATE complete = IF(VALUES(pages_read) >= pages_read, VALUES(complete), complete),
                pages_read = GREATEST(pages_read, VALUES(pages_read)), read_at = VALUES(read_at)""")
    void recordPage(long installationId, long conversationId, int pagesRead, boolean complete, Instant readAt);
}
