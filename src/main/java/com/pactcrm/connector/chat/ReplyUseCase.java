package com.pactcrm.connector.chat;

import com.pactcrm.connector.crm.Phone;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.pact.client.PactSendMessageRequest;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.SendMessage;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.WriteFirst;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A CRM user answers in an existing conversation from the card. The message goes through the outbox once per
 * {@code requestId} ({@code PACT_SEND_MESSAGE}, looked up before a resend when a send timed out, as write-first is);
 * the conversation is then assigned to the writer's Pact operator, or the responsible's when the writer is not mapped.
 * <p>
 * WhatsApp Business allows free text only within 24 hours of the client's last message (Meta's customer service
 * window); outside it only an approved template may be sent, which Pact sends through write-first with {@code waba_id}
 * (its send-in-conversation call takes no template).
 */
@Singleton
public class ReplyUseCase {

    /** WhatsApp's customer service window (Meta, "Conversations": 24 hours from the customer's last message). */
    public static final Duration WABA_WINDOW = Duration.ofHours(24);

    /**
     * What the card may send now. {@code templateRequired}: only an approved WABA template; {@code windowEndsAt}: when
     * free text stops being allowed (null when no window applies or none is open); {@code reason} says why, in words.
     */
    public record ReplyRule(boolean templateRequired, @Nullable Instant windowEndsAt, String reason) {
    }

    /** Refused before anything is queued; the message tells the manager why. */
    public static class ReplyRefused extends RuntimeException {
        public ReplyRefused(String message) {
            super(message);
        }
    }

    private final Outbox outbox;
    private final MessageLinkRepository messages;
    private final UserMappingRepository users;
    private final Clock clock;

    public ReplyUseCase(Outbox outbox, MessageLinkRepository messages, UserMappingRepository users, Clock clock) {
        this.outbox = outbox;
        this.messages = messages;
        this.users = users;
        this.clock = clock;
    }

    public ReplyRule rule(long installationId, ConversationLink link) {
        if (!PactWriteFirstRequest.WHATSAPP_BUSINESS.equals(link.provider())) {
            return new ReplyRule(false, null, "free text: this channel has no reply window");
        }
        Optional<Instant> lastIncoming = messages.lastIncomingAt(installationId, link.pactConversationId());
        if (lastIncoming.isEmpty()) {
            return new ReplyRule(true, null, "WhatsApp Business: the client has not written, so only an approved "
                    + "template can be sent");
        }
        Instant ends = lastIncoming.get().plus(WABA_WINDOW);
        if (clock.instant().isBefore(ends)) {
            return new ReplyRule(false, ends, "WhatsApp Business: free text is allowed until " + ends
                    + ", 24 hours after the client's last message");
        }
        return new ReplyRule(true, ends, "WhatsApp Business: the client's last message was more than 24 hours ago ("
                + lastIncoming.get() + "), so only an approved template can be sent");
    }

    /**
     * Queues the reply (text and/or one uploaded attachment, or a WABA template).
     *
     * @return false when this requestId was already queued (a repeated click or a retry after a lost answer)
     * @throws ReplyRefused when the channel's rules do not allow it now
     */
    public boolean reply(Installation installation, List<ConversationLink> links, String requestId, String crmUserId,
                         @Nullable String crmUserName, @Nullable String text, @Nullable Long attachmentId,
                         @Nullable Long wabaTemplateId, @Nullable List<String> substitutions) {
        ConversationLink link = links.get(0);
        Long assignee = assignee(installation.id(), crmUserId, links);
        String key = "reply:" + requestId;
        if (wabaTemplateId != null) {
            if (!PactWriteFirstRequest.WHATSAPP_BUSINESS.equals(link.provider())) {
                throw new ReplyRefused("templates are for WhatsApp Business conversations only");
            }
            String phone = Phone.of(link.senderPublicId()).digits();
            if (phone.isEmpty()) {
                throw new ReplyRefused("the client's WhatsApp number is not known yet; answer in Pact");
            }
            PactWriteFirstRequest template;
            try {
                template = new PactWriteFirstRequest(PactWriteFirstRequest.WHATSAPP_BUSINESS, phone, null, null,
                        wabaTemplateId, substitutions, null);
            } catch (IllegalArgumentException e) {
                throw new ReplyRefused(e.getMessage());
            }
            return outbox.enqueue(installation.id(), CommandKind.PACT_WRITE_FIRST, key, null,
                    new WriteFirst(template, link.crmEntityType(), link.crmEntityId(), crmUserId, crmUserName, assignee),
                    null, null);
        }
        ReplyRule rule = rule(installation.id(), link);
        if (rule.templateRequired()) {
            throw new ReplyRefused(rule.reason());
        }
        if (text != null && text.length() > PactWriteFirstRequest.MAX_TEXT) {
            throw new ReplyRefused("a message text has at most " + PactWriteFirstRequest.MAX_TEXT + " characters");
        }
        PactSendMessageRequest request;
        try {
            request = new PactSendMessageRequest(text == null || text.isBlank() ? null : text, attachmentId, null);
        } catch (IllegalArgumentException e) {
            throw new ReplyRefused("write a text or attach a file");
        }
        return outbox.enqueue(installation.id(), CommandKind.PACT_SEND_MESSAGE, key, null,
                new SendMessage(link.pactConversationId(), request, crmUserId, crmUserName, assignee), null, null);
    }

    /**
     * The Pact operator the conversation goes to: the writer's, when an admin mapped them; else the responsible's of
     * the linked entity (as the CRM last reported it); else nobody is assigned.
     */
    public Long assignee(long installationId, String crmUserId, List<ConversationLink> links) {
        Optional<Long> writer = crmUserId == null ? Optional.empty()
                : users.findByCrmUser(installationId, crmUserId).map(UserMapping::pactUserId);
        if (writer.isPresent()) {
            return writer.get();
        }
        return links.stream().map(ConversationLink::crmResponsibleId).filter(r -> r != null)
                .map(r -> users.findByCrmUser(installationId, r).map(UserMapping::pactUserId).orElse(null))
                .filter(o -> o != null).findFirst().orElse(null);
    }
}
