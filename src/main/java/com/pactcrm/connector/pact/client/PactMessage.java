package com.pactcrm.connector.pact.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Pact v2 message object. {@code id} is Pact's; {@code externalId} is the messenger's and stays
 * null until the messenger accepts the message. {@code details} explains an {@code error}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PactMessage(
        long id,
        String externalId,
        Long companyId,
        Long conversationId,
        Long contactId,
        String repliedToId,
        String createdAt,
        String externalCreatedAt,
        Boolean income,
        String status,
        String message,
        JsonNode details,
        JsonNode attachments,
        Boolean delivery,
        Boolean deleted) {
}
