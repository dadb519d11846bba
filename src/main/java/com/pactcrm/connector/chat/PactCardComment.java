package com.pactcrm.connector.chat;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

/** The Pact client-card comment of a conversation as the connector last wrote it. */
@MappedEntity("pact_card_comment")
public record PactCardComment(@Id long installationId, long pactConversationId, String text) {
}
