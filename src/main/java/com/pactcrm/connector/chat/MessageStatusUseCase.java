package com.pactcrm.connector.chat;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.pactcrm.connector.chat.ChatEvent.MessageObserved;
import com.pactcrm.connector.crm.CrmPayloads.MessageHistoryPayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.crm.CrmPayloads.NewClientPayload;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.transaction.TransactionOperations;
import io.micronaut.transaction.annotation.Transactional;
import io.micronaut.transaction.support.TransactionSynchronization;
import java.sql.Connection;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A Pact message was created or changed: keep its status monotonic (a late "delivered" never
 * overwrites "read"), then queue what the CRM should show: the status in each linked entity's
 * timeline, the message itself when history is on, or the find-or-create of a new client.
 */
@Singleton
public class MessageStatusUseCase {

    private static final Duration OPERATOR_WRITE_EVERY = Duration.ofHours(1);

    private final MessageLinkRepository messages;
    private final ConversationLinkRepository conversations;
    private final PactOperatorRepository operators;
    private final Outbox outbox;
    private final NewClientResponsible newClientResponsible;
    /**
     * Operators written within the last {@link #OPERATOR_WRITE_EVERY}, by installation, operator and name: the names
     * come in webhook bodies, so the entries expire and their number is bounded.
     */
    private final Cache<String, Boolean> recentlyRecorded = Caffeine.newBuilder()
            .expireAfterWrite(OPERATOR_WRITE_EVERY)
            .maximumSize(10_000)
            .build();

    private final TransactionOperations<Connection> transactions;
    private final ApplicationEventPublisher<ConversationChanged> changed;

    public MessageStatusUseCase(MessageLinkRepository messages, ConversationLinkRepository conversations,
                                PactOperatorRepository operators, Outbox outbox, NewClientResponsible newClientResponsible,
                                TransactionOperations<Connection> transactions,
                                ApplicationEventPublisher<ConversationChanged> changed) {
        this.transactions = transactions;
        this.changed = changed;
        this.messages = messages;
        this.conversations = conversations;
        this.operators = operators;
        this.outbox = outbox;
        this.newClientResponsible = newClientResponsible;
    }

    /**
     * Runs inside the dispatcher's transaction, or right after the connector itself sent the message
     * ({@code eventId} null): its first status note then appears at once, and Pact's own "sent"
     * webhook later changes nothing.
     *
     * @return the journal outcome
     */
    @Transactional
    public String apply(Installation installation, MessageObserved m, Long eventId) {
        long inst = installation.id();
        if (m.operatorId() != null && firstSightingInAWhile(inst, m.operatorId(), m.senderName())) {
            operators.seen(inst, m.operatorId(), m.senderName());
        }
        Optional<MessageLink> existing = messages.lock(inst, m.messageId());
        String attachments = ChatAttachments.toJson(m.attachments());
        if (existing.isEmpty() && messages.insert(inst, m.messageId(), m.conversationId(), m.externalId(), m.income(),
                m.status().name(), m.statusDetails(), m.text(), m.at(), m.senderName(), attachments, false) == 0) {
            existing = messages.lock(inst, m.messageId());
        }
        if (existing.isPresent() && existing.get().text() == null && existing.get().attachments() == null
                && (m.text() != null || attachments != null)) {
            messages.completeContent(inst, m.messageId(), m.text(), m.senderName(), attachments);
        }
        boolean firstSeen = existing.isEmpty();
        String stale = null;
        if (!firstSeen) {
            MessageStatus current = existing.get().status();
            if (current.canAdvanceTo(m.status())) {
                messages.updateStatus(inst, m.messageId(), m.status().name(), m.statusDetails(), m.externalId());
            } else {
                if (m.externalId() != null && existing.get().externalId() == null) {
                    messages.updateStatus(inst, m.messageId(), current.name(), existing.get().statusDetails(), m.externalId());
                }
                stale = "stale: message " + m.messageId() + " stays " + current + " (got " + m.status() + ")";
            }
        }
        if (stale == null || firstSeen) {
            announce(new ConversationChanged(inst, m.conversationId()));
        }
        InstallationSettings settings = InstallationSettings.of(installation.settings());
        List<ConversationLink> links = conversations.findByConversation(inst, m.conversationId());
        if (links.isEmpty()) {
            return stale != null ? stale : unlinked(installation, settings, m, eventId, firstSeen);
        }
        int queued = 0;
        for (ConversationLink link : links) {
            if (stale == null && !m.income() && settings.statusesOn()) {
                String key = "status:" + m.messageId() + ":" + link.crmEntityType() + ":" + link.crmEntityId();
                MessageStatusPayload payload = new MessageStatusPayload(m.messageId(), m.conversationId(),
                        link.crmEntityType(), link.crmEntityId(), m.status().name(), m.status().icon(), m.statusDetails(),
                        m.text(), m.at());
                // The message was just inserted under its row lock: no earlier status of it can be queued.
                if (firstSeen) {
                    outbox.enqueueFirst(inst, CommandKind.CRM_MESSAGE_STATUS, key + ":" + m.status(), key, payload, eventId, m.at());
                } else {
                    outbox.enqueue(inst, CommandKind.CRM_MESSAGE_STATUS, key + ":" + m.status(), key, payload, eventId, m.at());
                }
                queued++;
            }
            // Pact's events come in any order (its retries overtake): the message's history is queued by whichever
            // event shows it first, its create or a status update; the idempotency key keeps it to one note.
            if ((m.created() || firstSeen) && settings.historyOn() && (m.income() || m.operatorId() != null)
                    && outbox.enqueue(inst, CommandKind.CRM_MESSAGE_HISTORY,
                    "history:" + m.messageId() + ":" + link.crmEntityType() + ":" + link.crmEntityId(), null,
                    new MessageHistoryPayload(m.messageId(), m.conversationId(), link.crmEntityType(),
                            link.crmEntityId(), m.income(), m.senderName(), m.text(), m.at()),
                    eventId, m.at())) {
                queued++;
            }
        }
        String outcome = "message " + m.messageId() + " " + m.status() + "; " + queued + " CRM command(s) queued";
        return stale != null ? stale + "; " + queued + " CRM command(s) queued" : outcome;
    }

    /** Cards waiting for this conversation hear of it once the change is committed (they read it back then). */
    private void announce(ConversationChanged event) {
        transactions.findTransactionStatus().ifPresentOrElse(
                status -> status.registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void afterCommit() {
                        changed.publishEvent(event);
                    }
                }),
                () -> changed.publishEvent(event));
    }

    /**
     * Every outgoing message names its operator, and one upsert of the same row from each of the dispatcher's
     * threads makes InnoDB deadlock (concurrent INSERT … ON DUPLICATE KEY UPDATE on one key). The operator list
     * needs no more than one write per operator and name an hour, from one thread.
     */
    private boolean firstSightingInAWhile(long installationId, long operatorId, String name) {
        return recentlyRecorded.asMap().putIfAbsent(installationId + "|" + operatorId + "|" + name, Boolean.TRUE) == null;
    }

    private String unlinked(Installation installation, InstallationSettings settings, MessageObserved m, Long eventId,
                            boolean firstSeen) {
        if (!(m.income() && firstSeen && settings.autoCreateClientsOn())) {
            return "message " + m.messageId() + " " + m.status() + "; conversation not linked";
        }
        if (m.conversation().group()) {
            // A group's participants are many people, none of them "the client": a group chat never creates CRM work.
            return "message " + m.messageId() + " in a group chat; no client created";
        }
        String phone = m.conversation().senderPhone() != null ? m.conversation().senderPhone() : m.senderPhone();
        // One command per conversation: two messages racing in from a new client create one contact.
        boolean queued = outbox.enqueue(installation.id(), CommandKind.CRM_FIND_OR_CREATE_CLIENT,
                "client:" + m.conversationId(), null,
                new NewClientPayload(m.conversationId(), m.messageId(), m.conversation().provider(), phone,
                        m.conversation().senderName() != null ? m.conversation().senderName() : m.senderName(),
                        m.conversation().senderPublicId(),
                        newClientResponsible.choose(installation.id(), settings, m.conversation())),
                eventId, m.at());
        return "message " + m.messageId() + " from a new client; find-or-create " + (queued ? "queued" : "already queued");
    }
}
