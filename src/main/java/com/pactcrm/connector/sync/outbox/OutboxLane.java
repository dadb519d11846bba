package com.pactcrm.connector.sync.outbox;

import com.pactcrm.connector.sync.outbox.CommandKind.Target;
import io.micronaut.core.annotation.Introspected;

/** One installation's commands for one target: the relay works each lane apart, so a slow target delays only its own. */
@Introspected
public record OutboxLane(long installationId, Target target) {
}
