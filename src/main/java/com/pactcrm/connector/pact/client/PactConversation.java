package com.pactcrm.connector.pact.client;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Pact v2 conversation object. Ids are {@code long}: documented examples already pass 2^31 / 1. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PactConversation(
        long id,
        Long companyId,
        String senderName,
        String senderPhone,
        String senderExternalId,
        String senderExternalPublicId,
        String provider,
        String avatarUrl,
        String createdAt,
        String lastUpdatedAt,
        Long lastMessageId,
        String operationalState,
        String repliedState,
        Boolean group) {
}
