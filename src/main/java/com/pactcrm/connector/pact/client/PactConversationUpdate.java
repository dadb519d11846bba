package com.pactcrm.connector.pact.client;

/**
 * {@code PUT /conversations/{id}} fields; a null field is left unchanged. {@code unassign} sends
 * {@code assignee_id: null}, which Pact reads as "no responsible".
 */
public record PactConversationUpdate(Long assigneeId, boolean unassign, String operationalState, String repliedState) {

    public static PactConversationUpdate assign(long assigneeId) {
        return new PactConversationUpdate(assigneeId, false, null, null);
    }

    public static PactConversationUpdate unassigned() {
        return new PactConversationUpdate(null, true, null, null);
    }

    public static PactConversationUpdate state(String operationalState, String repliedState) {
        return new PactConversationUpdate(null, false, operationalState, repliedState);
    }
}
