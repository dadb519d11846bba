package com.pactcrm.connector.chat;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;

/** How many new clients an installation's round robin has handed out. */
@MappedEntity("new_client_round_robin")
public record NewClientTurn(@Id long installationId, long turns) {
}
