package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Optional;

/** A lead of {@code /api/v4/leads}; {@code _embedded.contacts} only with {@code with=contacts} (amocrm.md §4.2). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AmoCrmLead(
        long id,
        String name,
        Long price,
        Long responsibleUserId,
        Long groupId,
        Long statusId,
        Long pipelineId,
        Long createdBy,
        Long updatedBy,
        Long createdAt,
        Long updatedAt,
        Long closedAt,
        Boolean isDeleted,
        Long accountId,
        List<AmoCrmCustomFieldValues> customFieldsValues,
        @JsonProperty("_embedded") Embedded embedded) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Embedded(List<AmoCrmEntityRef> contacts, List<AmoCrmEntityRef> companies) {
    }

    public List<Long> contactIds() {
        return contacts().stream().map(AmoCrmEntityRef::id).toList();
    }

    /** The contact amoCRM marks {@code is_main}, else the first linked one. */
    public Optional<Long> mainContactId() {
        return contacts().stream().filter(c -> Boolean.TRUE.equals(c.isMain())).findFirst()
                .or(() -> contacts().stream().findFirst())
                .map(AmoCrmEntityRef::id);
    }

    private List<AmoCrmEntityRef> contacts() {
        return embedded == null || embedded.contacts() == null ? List.of() : embedded.contacts();
    }
}
