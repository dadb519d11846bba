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
                status_details, text_preview, pact_created_at, text, author_name, attachments, from_history)
            VALUES (:installationId, :pactMessageId, :pactConversationId, :externalId, :income, :status, :statusDetails,
                LEFT(:text, 500), :pactCreatedAt, :text, LEFT(:authorName, 255), :attachments, :fromHistory)""")
    int insert(long installationId, long pactMessageId, long pactConversationId, @Nullable String externalId, boolean income,
                String status, @Nullable String statusDetails, @Nullable String text, @Nullable Instant pactCreatedAt,
                @Nullable String authorName, @Nullable String attachments, boolean fromHistory);

    /**
     * What a status update carries of the message itself, kept when the first event seen of it had none (its create
     * arrives after an update, or the connector recorded the message it sent before Pact's webhook came).
     */
    @Query("""
            UPDATE message_link SET text = COALESCE(text, :text), text_preview = COALESCE(text_preview, LEFT(:text, 500)),
                author_name = COALESCE(author_name, LEFT(:authorName, 255)), attachments = COALESCE(attachments, :attachments)
            WHERE installation_id = :installationId AND pact_message_id = :pactMessageId""")
    void completeContent(long installationId, long pactMessageId, @Nullable String text, @Nullable String authorName,
                         @Nullable String attachments);

    /** The CRM user who sent the message from the card ("sent from the CRM by …"). */
    @Query("""
            UPDATE message_link SET crm_user_id = :crmUserId, crm_user_name = LEFT(:crmUserName, 255)
            WHERE installation_id = :installationId AND pact_message_id = :pactMessageId""")
    void setCrmAuthor(long installationId, long pactMessageId, String crmUserId, @Nullable String crmUserName);

    /** A page of a conversation, newest first, strictly older than the given position when there is one. */
    @Query("""
            SELECT * FROM message_link WHERE installation_id = :installationId AND pact_conversation_id = :conversationId
              AND (:beforeAt IS NULL OR COALESCE(pact_created_at, created_at) < :beforeAt
                   OR (COALESCE(pact_created_at, created_at) = :beforeAt AND id < :beforeId))
            ORDER BY COALESCE(pact_created_at, created_at) DESC, id DESC LIMIT :limit""")
    List<MessageLink> pageInConversation(long installationId, long conversationId, @Nullable Instant beforeAt,
                                         @Nullable Long beforeId, int limit);

    /** When the client last wrote (WhatsApp Business's 24-hour customer service window starts there). */
    @Query("""
            SELECT MAX(COALESCE(pact_created_at, created_at)) FROM message_link
            WHERE installation_id = :installationId AND pact_conversation_id = :conversationId AND income = TRUE""")
    Optional<Instant> lastIncomingAt(long installationId, long conversationId);


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

    /**
     * Messages of a conversation changed after {@code since} (their row's {@code updated_at}), oldest change first:
     * what a waiting card has not seen yet.
     */
    @Query("""
            SELECT * FROM message_link WHERE installation_id = :installationId AND pact_conversation_id = :conversationId
              AND updated_at > :since ORDER BY updated_at, id LIMIT :limit""")
    List<MessageLink> changedSince(long installationId, long conversationId, Instant since, int limit);

    /** The card's cursor: when the conversation's newest change was stored. */
    @Query("""
            SELECT MAX(updated_at) FROM message_link
            WHERE installation_id = :installationId AND pact_conversation_id = :conversationId""")
    Optional<Instant> lastChange(long installationId, long conversationId);
}
