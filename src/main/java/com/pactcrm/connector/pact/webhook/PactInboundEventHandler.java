package com.pactcrm.connector.pact.webhook;

import com.pactcrm.connector.chat.ChatEvent;
import com.pactcrm.connector.chat.ChatEvent.ChannelStateObserved;
import com.pactcrm.connector.chat.ChatEvent.ConversationObserved;
import com.pactcrm.connector.chat.ChatEvent.Handshake;
import com.pactcrm.connector.chat.ChatEvent.Ignored;
import com.pactcrm.connector.chat.ChatEvent.MessageObserved;
import com.pactcrm.connector.chat.ConversationStateUseCase;
import com.pactcrm.connector.chat.MessageStatusUseCase;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.InboundEvent;
import com.pactcrm.connector.sync.inbound.InboundEventHandler;
import jakarta.inject.Singleton;
import java.util.Locale;

/** Journaled Pact webhooks → {@link ChatEvent} → use-cases. */
@Singleton
class PactInboundEventHandler implements InboundEventHandler {

    private final MessageStatusUseCase messages;
    private final ConversationStateUseCase conversations;
    private final InstallationHealthRepository health;

    PactInboundEventHandler(MessageStatusUseCase messages, ConversationStateUseCase conversations,
                            InstallationHealthRepository health) {
        this.messages = messages;
        this.conversations = conversations;
        this.health = health;
    }

    @Override
    public EventSource source() {
        return EventSource.PACT;
    }

    @Override
    public String handle(InboundEvent event, Installation installation) {
        ChatEvent chatEvent = PactWebhookTranslator.translate(event.body());
        if (chatEvent instanceof MessageObserved m) {
            return messages.apply(installation, m, event.id());
        } else if (chatEvent instanceof ConversationObserved c) {
            return conversations.apply(installation, c, event.id());
        } else if (chatEvent instanceof ChannelStateObserved ch) {
            // A disabled channel (e.g. a WhatsApp session logged out) is something the admin must see.
            String state = ch.state() == null ? "UNKNOWN" : ch.state().toUpperCase(Locale.ROOT);
            health.record(installation.id(), "PACT_CHANNEL:" + ch.authId(), state,
                    ch.provider() + (ch.account() == null ? "" : " " + ch.account()));
            return "channel " + ch.authId() + " (" + ch.provider() + ") " + state;
        } else if (chatEvent instanceof Handshake) {
            return "handshake";
        } else if (chatEvent instanceof Ignored i) {
            return "ignored: " + i.reason();
        }
        return "ignored";
    }
}
