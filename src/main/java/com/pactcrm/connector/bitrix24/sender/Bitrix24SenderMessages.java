package com.pactcrm.connector.bitrix24.sender;

import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;

/** Queues a sender message as a Pact "write first" and remembers its Bitrix24 id, in one transaction. */
@Singleton
class Bitrix24SenderMessages {

    private final Bitrix24SenderMessageRepository messages;
    private final StartChatUseCase startChat;

    Bitrix24SenderMessages(Bitrix24SenderMessageRepository messages, StartChatUseCase startChat) {
        this.messages = messages;
        this.startChat = startChat;
    }

    /** @return false when this Bitrix24 message was already queued */
    @Transactional
    public boolean queue(Installation installation, String messageId, String entityType, String entityId, String phone,
                         String text) {
        String requestId = "b24msg:" + messageId;
        messages.remember(installation.id(), messageId, requestId);
        return startChat.start(installation, requestId, entityType, entityId, PactWriteFirstRequest.whatsapp(phone, text));
    }
}
