package com.pactcrm.connector.bitrix24.sender;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A message Bitrix24 handed to the connector's sender (see {@code V3__bitrix24.sql}). */
@MappedEntity("bitrix24_sender_message")
public record Bitrix24SenderMessage(@Id Long installationId, String bitrixMessageId, String requestId,
                                    @Nullable Instant createdAt) {
}
