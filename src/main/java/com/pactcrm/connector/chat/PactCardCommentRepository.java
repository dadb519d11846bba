package com.pactcrm.connector.chat;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface PactCardCommentRepository extends GenericRepository<PactCardComment, Long> {

    /** The stored comment, locked until the caller's transaction ends (two notes at once compose one after the other). */
    @Query("""
            SELECT * FROM pact_card_comment WHERE installation_id = :installationId
              AND pact_conversation_id = :conversationId FOR UPDATE""")
    Optional<PactCardComment> lock(long installationId, long conversationId);

    @Query("""
            INSERT INTO pact_card_comment (installation_id, pact_conversation_id, text)
            VALUES (:installationId, :conversationId, :text)
            ON DUPLICATE KEY UPDATE text = VALUES(text)""")
    void save(long installationId, long conversationId, String text);
}
