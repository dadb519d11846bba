package com.pactcrm.connector.chat;

import com.pactcrm.connector.chat.ChatEvent.ConversationObserved;
import com.pactcrm.connector.crm.CrmPayloads.ConversationStatePayload;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Objects;

/**
 * A linked conversation changed: remember its archive and answered states, and note in the CRM when
 * it was archived, blocked or left unanswered. Pact's help page: deleting a dialog blocks the client.
 */
@Singleton
public class ConversationStateUseCase {

    private final ConversationLinkRepository conversations;
    private final Outbox outbox;
    private final UnansweredTasks unansweredTasks;

    public ConversationStateUseCase(ConversationLinkRepository conversations, Outbox outbox,
                                    UnansweredTasks unansweredTasks) {
        this.conversations = conversations;
        this.outbox = outbox;
        this.unansweredTasks = unansweredTasks;
    }

    public String apply(Installation installation, ConversationObserved event, long eventId) {
        ConversationSnapshot c = event.conversation();
        List<ConversationLink> links = conversations.findByConversation(installation.id(), c.id());
        if (links.isEmpty()) {
            return "conversation " + c.id() + " not linked";
        }
        String operational = "delete".equals(event.action()) ? "blocked" : c.operationalState();
        String replied = c.repliedState();
        ConversationLink before = links.get(0);
        String newOperational = operational != null ? operational : before.operationalState();
        String newReplied = replied != null ? replied : before.repliedState();
        if (Objects.equals(newOperational, before.operationalState()) && Objects.equals(newReplied, before.repliedState())) {
            return "conversation " + c.id() + " unchanged";
        }
        conversations.updateStates(installation.id(), c.id(), newOperational, newReplied);
        String tasks = unansweredTasks.apply(installation, links, c.id(), before.repliedState(), newReplied, eventId);
        boolean noteworthy = (!Objects.equals(newOperational, before.operationalState())
                && ("archived".equals(newOperational) || "blocked".equals(newOperational)))
                || (!Objects.equals(newReplied, before.repliedState()) && "unreplied".equals(newReplied));
        if (!noteworthy || !InstallationSettings.of(installation.settings()).conversationStatesOn()) {
            return "conversation " + c.id() + " now " + newOperational + "/" + newReplied + tasks;
        }
        for (ConversationLink link : links) {
            outbox.enqueue(installation.id(), CommandKind.CRM_CONVERSATION_STATE,
                    "state:" + eventId + ":" + link.crmEntityType() + ":" + link.crmEntityId(), null,
                    new ConversationStatePayload(c.id(), link.crmEntityType(), link.crmEntityId(), newOperational, newReplied),
                    eventId, null);
        }
        return "conversation " + c.id() + " now " + newOperational + "/" + newReplied + "; noted in " + links.size()
                + " CRM entit(ies)" + tasks;
    }
}
