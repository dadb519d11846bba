package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface ConversationLinkRepository extends GenericRepository<ConversationLink, Long> {

    @Query("""
            SELECT * FROM conversation_link
            WHERE installation_id = :installationId AND pact_conversation_id = :pactConversationId ORDER BY id""")
    List<ConversationLink> findByConversation(long installationId, long pactConversationId);

    @Query("""
            SELECT * FROM conversation_link
            WHERE installation_id = :installationId AND crm_entity_type = :entityType AND crm_entity_id = :entityId
            ORDER BY id""")
    List<ConversationLink> findByEntity(long installationId, String entityType, String entityId);

    /** Linking is idempotent: the same conversation and entity stay one row. */
    @Query("""
            INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id, provider,
                sender_public_id, sender_name)
            VALUES (:installationId, :pactConversationId, :entityType, :entityId, :provider, :senderPublicId, :senderName)
            ON DUPLICATE KEY UPDATE provider = COALESCE(VALUES(provider), provider),
                sender_public_id = COALESCE(VALUES(sender_public_id), sender_public_id),
                sender_name = COALESCE(VALUES(sender_name), sender_name)""")
    void link(long installationId, long pactConversationId, String entityType, String entityId, @Nullable String provider,
              @Nullable String senderPublicId, @Nullable String senderName);

    @Query("""
            UPDATE conversation_link SET operational_state = :operationalState, replied_state = :repliedState
            WHERE installation_id = :installationId AND pact_conversation_id = :pactConversationId""")
    void updateStates(long installationId, long pactConversationId, @Nullable String operationalState, @Nullable String repliedState);

    /** Conversations already linked for a client's phone (digits; Pact's public id may carry a leading +). */
    @Query("""
            SELECT * FROM conversation_link
            WHERE installation_id = :installationId AND provider = :provider
              AND REPLACE(sender_public_id, '+', '') = :phone
            ORDER BY id""")
    List<ConversationLink> findBySender(long installationId, String provider, String phone);

    /** The entity's responsible CRM user as the CRM last reported it (the card shows it; both CRMs write it). */
    @Query("""
            UPDATE conversation_link SET crm_responsible_id = :crmUserId
            WHERE installation_id = :installationId AND crm_entity_type = :entityType AND crm_entity_id = :entityId""")
    void setResponsible(long installationId, String entityType, String entityId, @Nullable String crmUserId);
}
