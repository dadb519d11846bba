package com.pactcrm.connector.crm;

/**
 * One entry for a CRM entity's timeline. Exactly one payload is set, by kind.
 *
 * @param existingEntryId the CRM entry this message already has, to edit in place (statuses only)
 */
public record TimelineEntry(
        String entityType,
        String entityId,
        String existingEntryId,
        CrmPayloads.MessageStatusPayload status,
        CrmPayloads.MessageHistoryPayload history,
        CrmPayloads.ConversationStatePayload state) {
}
