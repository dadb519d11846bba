package com.pactcrm.connector.sync.outbox;

/**
 * A command became a dead letter (its target refused it for good, or its retries ran out): whoever queued it on
 * someone's behalf can tell them, e.g. Bitrix24's sender reports the message as failed.
 */
public record OutboxCommandDead(long installationId, long commandId, CommandKind kind, String idempotencyKey,
                                String reason) {
}
