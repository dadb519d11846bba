package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/**
 * A Pact message the connector follows, its latest status and its CRM timeline entry, and what the card shows of it:
 * the full text, its author (the client, a Pact operator, or the CRM user who sent it from the card), its attachments
 * (JSON list of {@link ChatAttachment}) and whether it came from Pact's history rather than a webhook.
 */
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
        @Nullable Instant updatedAt,
        @Nullable String text,
        @Nullable String authorName,
        @Nullable String crmUserId,
        @Nullable String crmUserName,
        @Nullable String attachments,
        boolean fromHistory) {
}
