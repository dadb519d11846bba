package com.pactcrm.connector.pact.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.chat.ChatEvent;
import com.pactcrm.connector.chat.ChatEvent.ChannelStateObserved;
import com.pactcrm.connector.chat.ChatEvent.ConversationObserved;
import com.pactcrm.connector.chat.ChatEvent.MessageObserved;
import com.pactcrm.connector.chat.MessageStatus;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import com.pactcrm.connector.testsupport.PactWebhooks;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PactWebhookTranslatorTest {

    private static ChatEvent translate(String fixture) {
        return PactWebhookTranslator.translate(PactWebhooks.fixture(fixture).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void outgoingCreateIsAQueuedMessageOfAnOperator() {
        MessageObserved m = assertInstanceOf(MessageObserved.class, translate("message-create-outgoing"));
        assertTrue(m.created());
        assertEquals(2073572301L, m.messageId());
        assertEquals(2073572213L, m.conversationId());
        assertEquals(MessageStatus.SENT, m.status());
        assertEquals("clock", m.status().icon());
        assertEquals(42L, m.operatorId());
        assertNull(m.externalId());
        assertEquals(Instant.parse("2026-11-20T10:30:00.514Z"), m.at());
        assertEquals("whatsapp", m.conversation().provider());
    }

    @Test
    void deliveredUpdateCarriesTheMessengerId() {
        MessageObserved m = assertInstanceOf(MessageObserved.class, translate("message-update-delivered"));
        assertEquals(MessageStatus.DELIVERED, m.status());
        assertEquals("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMDg5", m.externalId());
    }

    @Test
    void errorKeepsItsDetails() {
        MessageObserved m = assertInstanceOf(MessageObserved.class, translate("message-update-error"));
        assertEquals(MessageStatus.ERROR, m.status());
        assertTrue(m.statusDetails().contains("recipient is not a WhatsApp user"), m.statusDetails());
    }

    @Test
    void incomingMessageIsFromTheClientWithoutOperator() {
        MessageObserved m = assertInstanceOf(MessageObserved.class, translate("message-create-incoming"));
        assertTrue(m.income());
        assertEquals(MessageStatus.CREATED, m.status());
        assertNull(m.operatorId());
        assertEquals("+5511987654321", m.senderPhone());
        assertEquals("5511987654321", m.conversation().senderPhone());
    }

    @Test
    void incomingMessageWithDeliveredStatusAsInPactsOwnExampleIsStillIncoming() {
        String body = PactWebhooks.fixture("message-create-incoming").replace("\"status\":\"created\"", "\"status\":\"delivered\"");
        MessageObserved m = assertInstanceOf(MessageObserved.class,
                PactWebhookTranslator.translate(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(MessageStatus.CREATED, m.status());
    }

    @Test
    void conversationDeleteAndArchive() {
        ConversationObserved archived = assertInstanceOf(ConversationObserved.class, translate("conversation-update-archived"));
        assertEquals("archived", archived.conversation().operationalState());
        ConversationObserved deleted = assertInstanceOf(ConversationObserved.class, translate("conversation-delete"));
        assertEquals("delete", deleted.action());
    }

    @Test
    void disabledAuthIsAChannelState() {
        ChannelStateObserved ch = assertInstanceOf(ChannelStateObserved.class, translate("auth-update-disabled"));
        assertEquals(77L, ch.authId());
        assertEquals("disabled", ch.state());
        assertEquals("5511912345678", ch.account());
    }

    @Test
    void handshakeIsRecognised() {
        assertInstanceOf(ChatEvent.Handshake.class, translate("handshake"));
    }

    @Test
    void unknownStatusAndTypeAreIgnoredNotFailed() {
        String body = PactWebhooks.fixture("message-update-delivered").replace("\"status\":\"delivered\"", "\"status\":\"played\"");
        assertInstanceOf(ChatEvent.Ignored.class, PactWebhookTranslator.translate(body.getBytes(StandardCharsets.UTF_8)));
        assertInstanceOf(ChatEvent.Ignored.class, PactWebhookTranslator.translate(
                "{\"event\":\"create\",\"type\":\"reaction\",\"object\":{}}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void malformedBodiesAreUnprocessable() {
        assertThrows(UnprocessableEventException.class, () -> PactWebhookTranslator.translate("not json".getBytes(StandardCharsets.UTF_8)));
        assertThrows(UnprocessableEventException.class, () -> PactWebhookTranslator.translate("[1,2]".getBytes(StandardCharsets.UTF_8)));
        assertThrows(UnprocessableEventException.class, () -> PactWebhookTranslator.translate(
                "{\"event\":\"update\",\"type\":\"message\",\"object\":{\"status\":\"read\"}}".getBytes(StandardCharsets.UTF_8)));
    }
}
