package com.pactcrm.connector.crm;

import io.micronaut.core.annotation.Nullable;

/** A CRM user the admin can map to a Pact operator. */
public record CrmUser(String id, String name, @Nullable String email) {
}
