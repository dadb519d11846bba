package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code GET /api/v4/account} (amocrm.md §1.7). {@code amojoId} is only filled when asked for with
 * {@code with=amojo_id}; it names the account in the Chats API.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AmoCrmAccountInfo(
        long id,
        String name,
        String subdomain,
        Long createdAt,
        Long currentUserId,
        String country,
        String currency,
        String amojoId) {
}
