package com.pactcrm.connector.crm;

/**
 * One entry for a CRM entity's timeline. Exactly one payload is set, by kind.
 *
 * @param existingEntryId the CRM entry this message already has, to edit in place (statuses only)
 * @param ambiguous       an earlier write of this entry may have landed without us seeing the answer: look
 *                        for it before writing again
 * @param language        the installation's language for the entry's words (pt, en, ru, es)
 */
public record TimelineEntry(
        String entityType,
        String entityId,
        String existingEntryId,
        CrmPayloads.MessageStatusPayload status,
        CrmPayloads.MessageHistoryPayload history,
        CrmPayloads.ConversationStatePayload state,
        boolean ambiguous,
        String language) {

    public TimelineEntry(String entityType, String entityId, String existingEntryId, CrmPayloads.MessageStatusPayload status,
                         CrmPayloads.MessageHistoryPayload history, CrmPayloads.ConversationStatePayload state,
                         boolean ambiguous) {
        this(entityType, entityId, existingEntryId, status, history, state, ambiguous, TimelineTexts.DEFAULT_LANGUAGE);
    }
}
