package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A Pact conversation linked to a CRM entity (lead, deal or contact). */
@MappedEntity("conversation_link")
public record ConversationLink(
        @Id Long id,
        long installationId,
        long pactConversationId,
        String crmEntityType,
        String crmEntityId,
        @Nullable String provider,
        @Nullable String senderPublicId,
        @Nullable String senderName,
        @Nullable String operationalState,
        @Nullable String repliedState,
        @Nullable String crmResponsibleId,
        @Nullable Instant createdAt,
        @Nullable Instant updatedAt) {
}
