package com.pactcrm.connector.amocrm.oauth;

import java.time.Instant;

/**
 * A token pair from amoCRM's token endpoint. {@code expiresAt} is computed from {@code expires_in}
 * against the moment the request was sent, so it errs early. Never log this record's fields.
 */
public record AmoCrmTokens(String accessToken, String refreshToken, Instant expiresAt) {

    @Override
    public String toString() {
        return "AmoCrmTokens[expiresAt=" + expiresAt + "]";
    }
}
