package com.pactcrm.connector.pact.client;

/** A company webhook: at most 5 per company, created inactive. */
public record PactWebhook(long id, String url, boolean active) {
}
