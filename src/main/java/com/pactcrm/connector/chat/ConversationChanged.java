package com.pactcrm.connector.chat;

/**
 * A message of this conversation was stored or changed, and committed: published in-process so that cards waiting
 * for news of it ({@code GET /api/v1/conversations/{id}/messages/updates}) answer at once.
 */
public record ConversationChanged(long installationId, long conversationId) {
}
