package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** A contact of {@code /api/v4/contacts} (amocrm.md §4.2); {@code _embedded.leads} only with {@code with=leads}. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AmoCrmContact(
        long id,
        String name,
        String firstName,
        String lastName,
        Long responsibleUserId,
        Long groupId,
        Long createdBy,
        Long updatedBy,
        Long createdAt,
        Long updatedAt,
        Boolean isDeleted,
        Long accountId,
        List<AmoCrmCustomFieldValues> customFieldsValues,
        @JsonProperty("_embedded") Embedded embedded) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Embedded(List<AmoCrmEntityRef> leads, List<AmoCrmEntityRef> companies) {
    }

    /** Every number in the PHONE field, as typed by users (normalise before matching; amocrm.md §4.3). */
    public List<String> phones() {
        return AmoCrmCustomFieldValues.valuesOf(customFieldsValues, AmoCrmCustomFieldValues.PHONE);
    }

    public List<Long> leadIds() {
        return embedded == null || embedded.leads() == null ? List.of()
                : embedded.leads().stream().map(AmoCrmEntityRef::id).toList();
    }
}
