package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * An account webhook (amocrm.md §2.1). {@code disabled} turns true when amoCRM switched the hook off after
 * too many invalid answers; only an admin turns it back on (amocrm.md §2.4).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AmoCrmWebhook(
        long id,
        String destination,
        List<String> settings,
        Integer sort,
        boolean disabled,
        Long createdBy,
        Long createdAt,
        Long updatedAt,
        Long accountId) {

    public AmoCrmWebhook {
        settings = settings == null ? List.of() : List.copyOf(settings);
    }
}
