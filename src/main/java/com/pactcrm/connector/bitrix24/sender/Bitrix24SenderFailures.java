package com.pactcrm.connector.bitrix24.sender;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiClient;
import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24TokenService;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.OutboxCommandDead;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A message sent through the connector's {@code messageservice} sender that Pact refused for good (the write-first
 * command became a dead letter) is reported to Bitrix24 as {@code failed} (bitrix24.md §6.3,
 * {@code messageservice.message.status.update}), so the card stops showing it as on its way. The call is made once,
 * when the command dies; if the portal cannot be reached then, the journal keeps the dead letter and the log says so.
 */
@Singleton
class Bitrix24SenderFailures {

    /** {@link Bitrix24SenderMessages} queues each sender message under request id {@code b24msg:<id>}. */
    static final String KEY_PREFIX = "chat:b24msg:";
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24SenderFailures.class);

    private final Bitrix24TokenService tokens;
    private final Bitrix24ApiClient api;
    private final ObjectMapper json;

    Bitrix24SenderFailures(Bitrix24TokenService tokens, Bitrix24ApiClient api, ObjectMapper json) {
        this.tokens = tokens;
        this.api = api;
        this.json = json;
    }

    @EventListener
    void onDead(OutboxCommandDead dead) {
        if (dead.kind() != CommandKind.PACT_WRITE_FIRST || !dead.idempotencyKey().startsWith(KEY_PREFIX)) {
            return;
        }
        String messageId = dead.idempotencyKey().substring(KEY_PREFIX.length());
        try {
            tokens.withPortal(dead.installationId(), portal -> api.call(portal, "messageservice.message.status.update",
                    json.createObjectNode().put("CODE", Bitrix24Installer.SENDER_CODE).put("MESSAGE_ID", messageId)
                            .put("STATUS", "failed")));
            LOG.info("event=bitrix24_sender_failed_reported installationId={} message={}", dead.installationId(), messageId);
        } catch (RuntimeException e) {
            LOG.warn("event=bitrix24_sender_failed_not_reported installationId={} message={} error=\"{}\"",
                    dead.installationId(), messageId, e.getMessage());
        }
    }
}
