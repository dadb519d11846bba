package com.pactcrm.connector.chat;

/** The Pact conversation as a webhook last showed it. */
public record ConversationSnapshot(
        long id,
        String provider,
        String senderName,
        String senderPhone,
        String senderPublicId,
        String operationalState,
        String repliedState) {
}
