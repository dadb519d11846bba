package com.pactcrm.connector.pact.outbox;

import com.pactcrm.connector.pact.client.PactConversationUpdate;
import com.pactcrm.connector.pact.client.PactSendMessageRequest;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;

/** The JSON payloads of Pact-bound outbox commands. */
public final class PactCommandPayloads {

    private PactCommandPayloads() {
    }

    /**
     * Write first, then link the new conversation to the CRM entity it was started from (if any). From the card it
     * also names the CRM user who wrote ("sent from the CRM by …") and the Pact operator to assign the conversation to.
     */
    public record WriteFirst(PactWriteFirstRequest request, String entityType, String entityId, String crmUserId,
                             String crmUserName, Long assigneeId) {

        public WriteFirst(PactWriteFirstRequest request, String entityType, String entityId) {
            this(request, entityType, entityId, null, null, null);
        }
    }

    /** A message in an existing conversation; from the card, with its CRM author and the operator to assign. */
    public record SendMessage(long conversationId, PactSendMessageRequest request, String crmUserId, String crmUserName,
                              Long assigneeId) {

        public SendMessage(long conversationId, PactSendMessageRequest request) {
            this(conversationId, request, null, null, null);
        }
    }

    public record UpdateConversation(long conversationId, PactConversationUpdate update) {
    }

    /** The client-card comment (Pact keeps one free-text note per conversation). */
    public record ConversationNote(long conversationId, String note) {
    }
}
