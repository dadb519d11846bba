package com.pactcrm.connector.chat;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.pact.client.PactConversationUpdate;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.UpdateConversation;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;

/**
 * A CRM entity's responsible user changed: the Pact conversations linked to it get the mapped Pact
 * operator as {@code assignee_id}. When a conversation is linked to both a lead/deal and a contact,
 * the admin's policy ({@code responsibleFrom}) says whose responsible leads; the other one's changes
 * are then left alone. Pact exposes no assignee in its webhooks, so nothing can echo back.
 */
@Singleton
public class ResponsibleUseCase {

    private final ConversationLinkRepository conversations;
    private final UserMappingRepository users;
    private final Outbox outbox;

    public ResponsibleUseCase(ConversationLinkRepository conversations, UserMappingRepository users, Outbox outbox) {
        this.conversations = conversations;
        this.users = users;
        this.outbox = outbox;
    }

    /** @param crmUserId the new responsible; null or "0" when nobody is responsible any more */
    public String apply(Installation installation, String entityType, String entityId, String crmUserId, long eventId) {
        List<ConversationLink> links = conversations.findByEntity(installation.id(), entityType, entityId);
        if (links.isEmpty()) {
            return entityType + " " + entityId + " has no Pact conversation";
        }
        boolean unassign = crmUserId == null || crmUserId.isBlank() || "0".equals(crmUserId);
        // The card shows the responsible; Bitrix24's handler also writes it, amoCRM's only through here.
        conversations.setResponsible(installation.id(), entityType, entityId, unassign ? null : crmUserId);
        Optional<Long> operator = unassign ? Optional.empty()
                : users.findByCrmUser(installation.id(), crmUserId).map(UserMapping::pactUserId);
        if (!unassign && operator.isEmpty()) {
            return "CRM user " + crmUserId + " is not mapped to a Pact operator; responsible not synced";
        }
        String policy = InstallationSettings.of(installation.settings()).responsibleFrom();
        int queued = 0;
        for (ConversationLink link : links) {
            if (!leads(installation, link, entityType, policy)) {
                continue;
            }
            PactConversationUpdate update = unassign ? PactConversationUpdate.unassigned()
                    : PactConversationUpdate.assign(operator.get());
            // The latest responsible wins if several changes wait for the same conversation.
            outbox.enqueue(installation.id(), CommandKind.PACT_UPDATE_CONVERSATION,
                    "assignee:" + link.pactConversationId() + ":" + eventId,
                    "assignee:" + link.pactConversationId(),
                    new UpdateConversation(link.pactConversationId(), update), eventId, null);
            queued++;
        }
        return queued == 0
                ? "responsible of " + entityType + " " + entityId + " does not lead (policy: " + policy + ")"
                : "assignee of " + queued + " conversation(s) → " + (unassign ? "nobody" : "Pact operator " + operator.get());
    }

    /** Whether a change on {@code entityType} decides this conversation's assignee. */
    private boolean leads(Installation installation, ConversationLink link, String entityType, String policy) {
        boolean fromContact = "contact".equals(entityType);
        boolean policyContact = "contact".equals(policy);
        if (fromContact == policyContact) {
            return true;
        }
        // The policy's entity type is not linked to this conversation at all: the other one leads.
        return conversations.findByConversation(installation.id(), link.pactConversationId()).stream()
                .noneMatch(l -> "contact".equals(l.crmEntityType()) == policyContact);
    }
}
