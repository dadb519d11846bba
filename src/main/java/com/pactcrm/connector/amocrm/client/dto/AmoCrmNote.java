package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A note as amoCRM lists it (amocrm.md §4.4); only the fields the connector reads. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AmoCrmNote(long id, long entityId, String noteType, Params params, Long createdAt) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Params(String text, String service) {
    }

    /** The note's text, or {@code null} for types without one. */
    public String text() {
        return params == null ? null : params.text();
    }
}
