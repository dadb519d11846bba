package com.pactcrm.connector.chat;

/**
 * The Pact conversation as a webhook last showed it.
 *
 * @param group      a group chat (WhatsApp group, pact-api.md §2.1 {@code group}): never becomes a CRM client
 * @param assigneeId the Pact operator it is assigned to, when Pact says so; the documented conversation object has
 *                   no assignee (pact-api.md §7), so this is null unless a webhook carries {@code assignee_id}
 */
public record ConversationSnapshot(
        long id,
        String provider,
        String senderName,
        String senderPhone,
        String senderPublicId,
        String operationalState,
        String repliedState,
        boolean group,
        Long assigneeId) {

    public ConversationSnapshot(long id, String provider, String senderName, String senderPhone, String senderPublicId,
                                String operationalState, String repliedState) {
        this(id, provider, senderName, senderPhone, senderPublicId, operationalState, repliedState, false, null);
    }
}
