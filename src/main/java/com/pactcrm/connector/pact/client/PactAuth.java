package com.pactcrm.connector.pact.client;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * A connected messenger account of the company (Pact "auth", [D2] ru/v2/auths): {@code state} enabled, disabled,
 * or initial while a QR code waits to be scanned.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PactAuth(long id, Long companyId, String provider, String state, String phoneNumber, String username) {
}
