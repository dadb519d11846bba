package com.pactcrm.connector.pact.client;

/** A message in an existing conversation. Pact takes one attachment per message. */
public record PactSendMessageRequest(String text, Long attachmentId, String repliedToId) {

    public PactSendMessageRequest {
        if ((text == null || text.isBlank()) && attachmentId == null) {
            throw new IllegalArgumentException("A message needs a text or an attachment");
        }
    }
}
