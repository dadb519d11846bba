package com.pactcrm.connector.bitrix24.sender;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.Optional;

/** Bitrix24 sender message ids and the "write first" requests they became. */
@JdbcRepository(dialect = Dialect.MYSQL)
public interface Bitrix24SenderMessageRepository extends GenericRepository<Bitrix24SenderMessage, Long> {

    @Query("""
            INSERT IGNORE INTO bitrix24_sender_message (installation_id, bitrix_message_id, request_id)
            VALUES (:installationId, :bitrixMessageId, :requestId)""")
    void remember(long installationId, String bitrixMessageId, String requestId);

    /**
     * The Bitrix24 message id of the Pact message a sender request became: the write-first command of that request
     * (idempotency key {@code chat:<request id>}) carries the Pact message id as its remote id once sent. Only the
     * last 30 days are searched; statuses come within minutes.
     */
    @Query("""
            SELECT m.bitrix_message_id FROM bitrix24_sender_message m
            JOIN outbox_command c ON c.installation_id = m.installation_id
                AND c.idempotency_key = CONCAT('chat:', m.request_id)
            WHERE m.installation_id = :installationId AND m.created_at > NOW(3) - INTERVAL 30 DAY
                AND c.remote_id = :pactMessageId
            LIMIT 1""")
    Optional<String> findByPactMessage(long installationId, String pactMessageId);
}
