package com.pactcrm.connector.crm;

import java.time.Instant;

/** The JSON payloads of CRM-bound outbox commands, shared by every CRM adapter. */
public final class CrmPayloads {

    private CrmPayloads() {
    }

    /** One message's status for the entity's timeline; {@code icon} is the Pact meaning (clock, one tick, ...). */
    public record MessageStatusPayload(long messageId, long conversationId, String entityType, String entityId,
                                       String status, String icon, String details, String text, Instant at) {
    }

    /** An incoming (client) or outgoing (operator) message copied into the timeline. */
    public record MessageHistoryPayload(long messageId, long conversationId, String entityType, String entityId,
                                        boolean income, String author, String text, Instant at) {
    }

    /** The conversation was archived, blocked (deleted in Pact) or became unanswered. */
    public record ConversationStatePayload(long conversationId, String entityType, String entityId,
                                           String operationalState, String repliedState) {
    }

    /**
     * A first message from a phone no linked conversation knows.
     *
     * @param responsibleUserId the CRM user the admin's rule gives a new lead or deal to (round robin, the Pact
     *                          assignee's mapped user); null: the found contact's owner, else the CRM's default
     */
    public record NewClientPayload(long conversationId, long messageId, String provider, String phone, String name,
                                   String publicId, String responsibleUserId) {

        public NewClientPayload(long conversationId, long messageId, String provider, String phone, String name,
                                String publicId) {
            this(conversationId, messageId, provider, phone, name, publicId, null);
        }
    }

    /**
     * A task for the entity's responsible: the conversation is unanswered ({@code taskId} is the connector's
     * {@code crm_task} row, which also keeps the CRM's task id once it exists).
     */
    public record TaskPayload(long taskId, long conversationId, String entityType, String entityId, Instant dueAt,
                              String clientName) {
    }
}
