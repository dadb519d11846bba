package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A Pact message the connector follows, its latest status and its CRM timeline entry. */
@MappedEntity("message_link")
public record MessageLink(
        @Id Long id,
        long installationId,
        long pactMessageId,
        long pactConversationId,
        @Nullable String externalId,
        boolean income,
        MessageStatus status,
        @Nullable String statusDetails,
        @Nullable String textPreview,
        @Nullable String crmEntryId,
        @Nullable Instant pactCreatedAt,
        @Nullable Instant createdAt,
        @Nullable Instant updatedAt) {
}
