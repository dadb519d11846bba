package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A CRM task the connector opened for an unanswered conversation; {@code state} OPEN or CLOSED. */
@MappedEntity("crm_task")
public record CrmTask(
        @Id Long id,
        long installationId,
        long pactConversationId,
        String crmEntityType,
        String crmEntityId,
        @Nullable String crmTaskId,
        String state,
        @Nullable String openKey,
        Instant dueAt,
        @Nullable Instant createdAt,
        @Nullable Instant closedAt) {
}
