package com.pactcrm.connector.pact.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.chat.ConversationChanged;
import com.pactcrm.connector.chat.MessageLinkRepository;
import io.micronaut.context.event.ApplicationEventPublisher;
import com.pactcrm.connector.pact.client.PactConversationUpdate;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactMessage;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.ConversationNote;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.SendMessage;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.UpdateConversation;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.WriteFirst;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import com.pactcrm.connector.sync.outbox.OutboxCommand;
import com.pactcrm.connector.sync.outbox.OutboxDeliverer;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import jakarta.inject.Singleton;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers Pact-bound commands one by one (Pact has no batch endpoint). A write that may already
 * have been applied (the previous attempt timed out) is looked up first, so a retry never sends a
 * second message.
 */
@Singleton
class PactOutboxDeliverer implements OutboxDeliverer {

    private static final Logger LOG = LoggerFactory.getLogger(PactOutboxDeliverer.class);

    private final PactGateway pact;
    private final PactSentMessageFinder finder;
    private final SecretCipher cipher;
    private final ObjectMapper json;
    private final MessageLinkRepository messages;
    private final Outbox outbox;
    private final ApplicationEventPublisher<ConversationChanged> changed;
    private final ApplicationEventPublisher<PactMessageSent> sentMessages;

    PactOutboxDeliverer(PactGateway pact, PactSentMessageFinder finder, SecretCipher cipher, ObjectMapper json,
                        MessageLinkRepository messages, Outbox outbox,
                        ApplicationEventPublisher<ConversationChanged> changed,
                        ApplicationEventPublisher<PactMessageSent> sentMessages) {
        this.changed = changed;
        this.sentMessages = sentMessages;
        this.messages = messages;
        this.outbox = outbox;
        this.pact = pact;
        this.finder = finder;
        this.cipher = cipher;
        this.json = json;
    }

    @Override
    public Set<CommandKind> kinds() {
        return EnumSet.of(CommandKind.PACT_WRITE_FIRST, CommandKind.PACT_SEND_MESSAGE,
                CommandKind.PACT_UPDATE_CONVERSATION, CommandKind.PACT_CONVERSATION_NOTE);
    }

    @Override
    public int batchSize(CommandKind kind, Installation installation) {
        return 1;
    }

    @Override
    public List<DeliveryResult> deliver(Installation installation, List<OutboxCommand> batch) {
        PactCredentials credentials = credentials(installation);
        return batch.stream().map(c -> {
            try {
                return deliverOne(installation, credentials, c);
            } catch (OutboundCallException e) {
                return DeliveryResult.failed(e);
            }
        }).toList();
    }

    private DeliveryResult deliverOne(Installation installation, PactCredentials credentials, OutboxCommand c) {
        return switch (c.kind()) {
            case PACT_WRITE_FIRST -> {
                WriteFirst p = c.payloadAs(json, WriteFirst.class);
                Optional<PactMessage> already = c.ambiguous()
                        ? finder.findWriteFirst(credentials, p.request().provider(), p.request().recipient(),
                                p.request().text(), c.firstSentAt())
                        : Optional.empty();
                PactMessage sent = already.orElseGet(() -> pact.writeFirst(credentials, p.request()));
                remember(installation, sent, p.entityType(), p.entityId(), p.request().provider(), p.request().recipient());
                fromTheCard(installation, sent, p.crmUserId(), p.crmUserName(), p.assigneeId());
                yield DeliveryResult.delivered(Long.toString(sent.id()), (already.isPresent() ? "found after timeout: " : "")
                        + "message " + sent.id() + " in conversation " + sent.conversationId());
            }
            case PACT_SEND_MESSAGE -> {
                SendMessage p = c.payloadAs(json, SendMessage.class);
                Optional<PactMessage> already = c.ambiguous()
                        ? finder.findInConversation(credentials, p.conversationId(), p.request().text(), c.firstSentAt())
                        : Optional.empty();
                PactMessage sent = already.orElseGet(() -> pact.sendMessage(credentials, p.conversationId(), p.request()));
                remember(installation, sent, null, null, null, null);
                fromTheCard(installation, sent, p.crmUserId(), p.crmUserName(), p.assigneeId());
                yield DeliveryResult.delivered(Long.toString(sent.id()), (already.isPresent() ? "found after timeout: " : "")
                        + "message " + sent.id() + " in conversation " + p.conversationId());
            }
            case PACT_UPDATE_CONVERSATION -> {
                UpdateConversation p = c.payloadAs(json, UpdateConversation.class);
                pact.updateConversation(credentials, p.conversationId(), p.update());
                yield DeliveryResult.delivered(Long.toString(p.conversationId()), "conversation " + p.conversationId() + " updated");
            }
            case PACT_CONVERSATION_NOTE -> {
                ConversationNote p = c.payloadAs(json, ConversationNote.class);
                pact.setConversationNote(credentials, p.conversationId(), p.note());
                yield DeliveryResult.delivered(Long.toString(p.conversationId()), "client-card comment set");
            }
            default -> throw new IllegalArgumentException("not a Pact command: " + c.kind());
        };
    }

    /**
     * Announces the sent message; the chat side's listener, synchronous and in this thread, links the conversation
     * to its CRM entity, follows the message's status from now on and writes its first status note (the clock) in
     * the entity's timeline. The message is already sent: a failure here must not fail the command, or its retry
     * would send the message a second time.
     */
    private void remember(Installation installation, PactMessage sent, String entityType, String entityId,
                          String provider, String recipient) {
        try {
            sentMessages.publishEvent(new PactMessageSent(installation, sent, entityType, entityId, provider, recipient));
        } catch (RuntimeException e) {
            LOG.error("event=pact_sent_bookkeeping_failed messageId={} error=\"{}\"", sent.id(), e.toString());
        }
    }

    /**
     * A message a CRM user sent from the card: its author is kept for the card, and the conversation is assigned
     * to that user's Pact operator (or the responsible's), as a command of its own queued once per message. Like
     * {@link #remember}, a failure here must not fail the send.
     */
    private void fromTheCard(Installation installation, PactMessage sent, String crmUserId, String crmUserName,
                             Long assigneeId) {
        try {
            if (crmUserId != null) {
                messages.setCrmAuthor(installation.id(), sent.id(), crmUserId, crmUserName);
                // A card may have read the message between its insert and this: it hears of the author too.
                if (sent.conversationId() != null) {
                    changed.publishEvent(new ConversationChanged(installation.id(), sent.conversationId()));
                }
            }
            if (assigneeId != null && sent.conversationId() != null) {
                outbox.enqueue(installation.id(), CommandKind.PACT_UPDATE_CONVERSATION, "assignee-card:" + sent.id(),
                        "assignee:" + sent.conversationId(),
                        new UpdateConversation(sent.conversationId(), PactConversationUpdate.assign(assigneeId)), null, null);
            }
        } catch (RuntimeException e) {
            LOG.error("event=pact_card_bookkeeping_failed messageId={} error=\"{}\"", sent.id(), e.toString());
        }
    }

    private PactCredentials credentials(Installation installation) {
        if (installation.pactTokenEnc() == null || installation.pactCompanyId() == null) {
            throw new OutboundCallException("Pact is not connected for this installation", Disposition.HEALTH, 0, null,
                    "PACT_TOKEN", "NOT_CONNECTED", null);
        }
        return new PactCredentials(cipher.decrypt(installation.pactTokenEnc()), installation.pactCompanyId());
    }

}
