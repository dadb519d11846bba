package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.ConversationLink;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.chat.MessageLink;
import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The chats a card lists: the entity's linked Pact conversations, newest messages first, each with its
 * status icon (Pact's meaning: clock, one tick, two ticks, error with its reason), the responsible
 * user, and whether the conversation is archived, blocked or unanswered.
 */
@Singleton
class CardConversations {

    /** {@code lastMessage} is {@code messages[0]}, kept for callers of the first context version. */
    record Conversation(long conversationId, String provider, String contact, String operationalState,
                        String repliedState, Responsible responsible, LastMessage lastMessage, List<LastMessage> messages) {
    }

    record Responsible(String crmUserId, String name) {
    }

    record LastMessage(long messageId, boolean income, String text, String status, String icon, String details,
                       Instant at) {
    }

    private static final int MESSAGES_PER_CONVERSATION = 3;

    private final ConversationLinkRepository conversations;
    private final MessageLinkRepository messages;
    private final UserMappingRepository users;

    CardConversations(ConversationLinkRepository conversations, MessageLinkRepository messages, UserMappingRepository users) {
        this.conversations = conversations;
        this.messages = messages;
        this.users = users;
    }

    List<Conversation> of(long installationId, String entityType, String entityId) {
        List<ConversationLink> links = conversations.findByEntity(installationId, entityType, entityId);
        if (links.isEmpty()) {
            return List.of();
        }
        Map<String, String> names = users.findByInstallation(installationId).stream()
                .filter(u -> u.crmUserName() != null)
                .collect(Collectors.toMap(UserMapping::crmUserId, UserMapping::crmUserName, (a, b) -> a));
        return links.stream().map(link -> conversation(installationId, link, names)).toList();
    }

    private Conversation conversation(long installationId, ConversationLink link, Map<String, String> names) {
        List<LastMessage> latest = messages.latestInConversation(installationId, link.pactConversationId(),
                MESSAGES_PER_CONVERSATION).stream().map(CardConversations::message).toList();
        Responsible responsible = link.crmResponsibleId() == null ? null
                : new Responsible(link.crmResponsibleId(), names.get(link.crmResponsibleId()));
        return new Conversation(link.pactConversationId(), link.provider(),
                link.senderName() != null ? link.senderName() : link.senderPublicId(), link.operationalState(),
                link.repliedState(), responsible, latest.isEmpty() ? null : latest.get(0), latest);
    }

    private static LastMessage message(MessageLink m) {
        return new LastMessage(m.pactMessageId(), m.income(), m.textPreview(), m.status().name(), m.status().icon(),
                m.statusDetails(), m.pactCreatedAt() != null ? m.pactCreatedAt() : m.createdAt());
    }
}
