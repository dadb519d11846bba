package com.pactcrm.connector.chat;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.pact.outbox.PactCommandPayloads.WriteFirst;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import jakarta.inject.Singleton;

/**
 * "Write first" from a CRM card: queue the Pact message; once sent, its conversation is linked to
 * the card's entity. The caller's request id makes a double click one message, not two.
 */
@Singleton
public class StartChatUseCase {

    private final Outbox outbox;

    public StartChatUseCase(Outbox outbox) {
        this.outbox = outbox;
    }

    /** @return false when this request id was already queued (a repeated click) */
    public boolean start(Installation installation, String requestId, String entityType, String entityId,
                         PactWriteFirstRequest request) {
        return start(installation, requestId, entityType, entityId, request, null, null, null);
    }

    /**
     * From the card: {@code crmUserId}/{@code crmUserName} wrote it ("sent from the CRM by …"), and the new
     * conversation is assigned to the Pact operator {@code assigneeId} once Pact created it (when not null).
     */
    public boolean start(Installation installation, String requestId, String entityType, String entityId,
                         PactWriteFirstRequest request, String crmUserId, String crmUserName, Long assigneeId) {
        if (requestId == null || requestId.isBlank()) {
            throw new IllegalArgumentException("requestId is required");
        }
        return outbox.enqueue(installation.id(), CommandKind.PACT_WRITE_FIRST, "chat:" + requestId, null,
                new WriteFirst(request, entityType, entityId, crmUserId, crmUserName, assigneeId), null, null);
    }
}
