package com.pactcrm.connector.amocrm.client.dto;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** One user of {@code GET /api/v4/users} (admin only; amocrm.md §4.2). */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AmoCrmUser(long id, String name, String email, String lang, Rights rights) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Rights(Boolean isAdmin, Boolean isFree, Boolean isActive, Long groupId, Long roleId) {
    }

    /** Deactivated users keep their id on old entities but cannot be made responsible. */
    public boolean active() {
        return rights == null || !Boolean.FALSE.equals(rights.isActive());
    }
}
