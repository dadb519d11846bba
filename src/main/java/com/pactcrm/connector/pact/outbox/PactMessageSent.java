package com.pactcrm.connector.pact.outbox;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactMessage;

/**
 * The connector itself has just sent {@code message} to Pact (write-first or a reply from the card). Published
 * in-process by the Pact deliverer so the chat side can link the conversation and record the message's first status
 * without the deliverer calling up into the chat use-cases.
 *
 * @param entityType CRM entity the new conversation belongs to; null for a reply in a known conversation
 * @param entityId   id of that entity; null for a reply
 * @param provider   messenger of a write-first (e.g. {@code whatsapp}); null for a reply
 * @param recipient  phone or login written to first; null for a reply
 */
public record PactMessageSent(Installation installation, PactMessage message, String entityType, String entityId,
                              String provider, String recipient) {
}
