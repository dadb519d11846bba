package com.pactcrm.connector.pact.outbox;

import com.pactcrm.connector.pact.client.PactConversationUpdate;
import com.pactcrm.connector.pact.client.PactSendMessageRequest;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;

/** The JSON payloads of Pact-bound outbox commands. */
public final class PactCommandPayloads {

    private PactCommandPayloads() {
    }

    /** Write first, then link the new conversation to the CRM entity it was started from (if any). */
    public record WriteFirst(PactWriteFirstRequest request, String entityType, String entityId) {
    }

    public record SendMessage(long conversationId, PactSendMessageRequest request) {
    }

    public record UpdateConversation(long conversationId, PactConversationUpdate update) {
    }

    /** The client-card comment (Pact keeps one free-text note per conversation). */
    public record ConversationNote(long conversationId, String note) {
    }
}
