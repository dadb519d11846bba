package com.pactcrm.connector.pact.client;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** An approved WABA template; {@code substitutionsCount} placeholders must be filled. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PactWabaTemplate(long id, Long companyId, String name, Long wabaId, String body,
                               Integer substitutionsCount, Integer position) {
}
