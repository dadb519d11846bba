package com.pactcrm.connector.chat;

import com.fasterxml.jackson.databind.node.MissingNode;
import com.pactcrm.connector.chat.ChatEvent.MessageObserved;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactMessage;
import com.pactcrm.connector.pact.outbox.PactMessageSent;
import com.pactcrm.connector.pact.webhook.PactWebhookTranslator;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import java.time.Instant;

/**
 * A message the connector sent to Pact: links its conversation to the CRM entity (a write-first), follows the
 * message's status from now on and queues its first status note (the clock) for the entity's timeline.
 */
@Singleton
class PactMessageSentListener {

    private final ConversationLinkRepository conversations;
    private final MessageStatusUseCase statuses;

    PactMessageSentListener(ConversationLinkRepository conversations, MessageStatusUseCase statuses) {
        this.conversations = conversations;
        this.statuses = statuses;
    }

    /*
     * Synchronous on purpose (no @Async): Micronaut calls this in the publisher's thread before publishEvent returns,
     * inside whatever transaction the publisher has open. The relay delivers outside any transaction, so the link
     * and apply() (@Transactional) each commit on their own, as when the deliverer called them itself. The deliverer
     * then sets the card author on the message row apply() has just inserted, so this must have finished by then;
     * and an exception thrown here reaches the deliverer, which logs it without failing the sent command.
     */
    @EventListener
    void onSent(PactMessageSent sent) {
        Installation installation = sent.installation();
        PactMessage m = sent.message();
        long conversationId = m.conversationId() == null ? 0 : m.conversationId();
        if (sent.entityType() != null && sent.entityId() != null && conversationId != 0) {
            conversations.link(installation.id(), conversationId, sent.entityType(), sent.entityId(), sent.provider(),
                    sent.recipient(), null);
        }
        MessageStatus status = MessageStatus.fromPact(m.status()).orElse(MessageStatus.SENT);
        statuses.apply(installation, new MessageObserved(true, m.id(), conversationId, false, status, null,
                m.externalId(), m.message(), Instant.now(), null, null, null,
                new ConversationSnapshot(conversationId, sent.provider(), null, null, sent.recipient(), null, null),
                PactWebhookTranslator.attachments(m.attachments() == null ? MissingNode.getInstance()
                        : m.attachments())), null);
    }
}
