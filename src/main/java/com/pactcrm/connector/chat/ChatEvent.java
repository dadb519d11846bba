package com.pactcrm.connector.chat;

import java.time.Instant;
import java.util.List;

/** What a Pact webhook means for the connector, free of Pact's wire format. */
public sealed interface ChatEvent {

    /** Pact's {@code {"source":"pact.im","operation":"test"}} handshake. */
    record Handshake() implements ChatEvent {
    }

    /**
     * A message was created or changed. {@code sender} is the client for incoming messages and the
     * Pact operator for outgoing ones ({@code operatorId} then set).
     */
    record MessageObserved(
            boolean created,
            long messageId,
            long conversationId,
            boolean income,
            MessageStatus status,
            String statusDetails,
            String externalId,
            String text,
            Instant at,
            String senderName,
            String senderPhone,
            Long operatorId,
            ConversationSnapshot conversation,
            List<ChatAttachment> attachments) implements ChatEvent {

        public MessageObserved {
            attachments = attachments == null ? List.of() : List.copyOf(attachments);
        }

        /** A message without attachments (a status update, or a message the connector sent itself with text only). */
        public MessageObserved(boolean created, long messageId, long conversationId, boolean income, MessageStatus status,
                               String statusDetails, String externalId, String text, Instant at, String senderName,
                               String senderPhone, Long operatorId, ConversationSnapshot conversation) {
            this(created, messageId, conversationId, income, status, statusDetails, externalId, text, at, senderName,
                    senderPhone, operatorId, conversation, List.of());
        }
    }

    /** A conversation was created, changed or deleted (deleting a dialog blocks the client in Pact). */
    record ConversationObserved(String action, ConversationSnapshot conversation) implements ChatEvent {
    }

    /** A connected messenger account (Pact "auth") was enabled or disabled. */
    record ChannelStateObserved(long authId, String provider, String state, String account) implements ChatEvent {
    }

    /** Understood but of no use to the connector; the reason goes to the journal. */
    record Ignored(String reason) implements ChatEvent {
    }
}
