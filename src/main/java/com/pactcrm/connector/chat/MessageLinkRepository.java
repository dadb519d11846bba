package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface MessageLinkRepository extends GenericRepository<MessageLink, Long> {

    @Query("""
            SELECT * FROM message_link WHERE installation_id = :installationId AND pact_message_id = :pactMessageId
            FOR UPDATE""")
    Optional<MessageLink> lock(long installationId, long pactMessageId);

    @Query("SELECT * FROM message_link WHERE installation_id = :installationId AND pact_message_id = :pactMessageId")
    Optional<MessageLink> find(long installationId, long pactMessageId);

    /** The links of several messages in one round trip (the relay reads a whole claim's). */
    @Query("SELECT * FROM message_link WHERE installation_id = :installationId AND pact_message_id IN (:pactMessageIds)")
    List<MessageLink> findAll(long installationId, Collection<Long> pactMessageIds);

    /**
     * @return 1 when inserted, 0 when another event of the same message inserted it first (its create and its
     * status updates arrive back to back and are processed at once; the row lock taken before found nothing to lock)
     */
    @Query("""
            INSERT IGNORE INTO message_link (installation_id, pact_message_id, pact_conversation_id, external_id, income, status,
                status_details, text_preview, pact_created_at)
            VALUES (:installationId, :pactMessageId, :pactConversationId, :externalId, :income, :status, :statusDetails,
                LEFT(:textPreview, 500), :pactCreatedAt)""")
    int insert(long installationId, long pactMessageId, long pactConversationId, @Nullable String externalId, boolean income,
                String status, @Nullable String statusDetails, @Nullable String textPreview, @Nullable Instant pactCreatedAt);


    @Query("""
            UPDATE message_link SET status = :status, status_details = :statusDetails,
                external_id = COALESCE(:externalId, external_id)
            WHERE installation_id = :installationId AND pact_message_id = :pactMessageId""")
    void updateStatus(long installationId, long pactMessageId, String status, @Nullable String statusDetails, @Nullable String externalId);

    /** The conversation's latest message the connector knows of. */
    @Query("""
            SELECT * FROM message_link WHERE installation_id = :installationId AND pact_conversation_id = :conversationId
            ORDER BY COALESCE(pact_created_at, created_at) DESC, id DESC LIMIT 1""")
    Optional<MessageLink> latestInConversation(long installationId, long conversationId);

    @Query("""
            SELECT * FROM message_link WHERE installation_id = :installationId AND pact_conversation_id = :conversationId
            ORDER BY COALESCE(pact_created_at, created_at) DESC, id DESC LIMIT :limit""")
    List<MessageLink> latestInConversation(long installationId, long conversationId, int limit);

    @Query("""
            UPDATE message_link SET crm_entry_id = :crmEntryId
            WHERE installation_id = :installationId AND pact_message_id = :pactMessageId""")
    void setCrmEntry(long installationId, long pactMessageId, String crmEntryId);
}
