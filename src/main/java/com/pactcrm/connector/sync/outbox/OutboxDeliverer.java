package com.pactcrm.connector.sync.outbox;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Delivers commands of some kinds to their target (Pact, or the installation's CRM). The relay
 * hands it batches of one installation and one {@linkplain #endpoint endpoint}, up to {@link #batchSize}.
 */
public interface OutboxDeliverer {

    Set<CommandKind> kinds();

    /** How many commands of this kind one call can carry (amoCRM notes: 50, Bitrix24 batch: 50, Pact: 1). */
    int batchSize(CommandKind kind, Installation installation);

    /**
     * Commands with the same endpoint may share one call, whatever their kind (amoCRM: every note added to
     * leads is one {@code POST /leads/notes}; Bitrix24: every timeline write is a command of one {@code batch}).
     *
     * @return one endpoint per command, in order
     */
    default List<String> endpoints(Installation installation, List<OutboxCommand> commands) {
        return commands.stream().map(c -> c.kind().name()).toList();
    }

    /** How long until the target's rate limit lets this installation's next call go (zero: now). */
    default Duration nextCallIn(Installation installation) {
        return Duration.ZERO;
    }

    /**
     * @return one result per command, in order. Throwing {@link OutboundCallException} fails the whole batch.
     */
    List<DeliveryResult> deliver(Installation installation, List<OutboxCommand> batch);
}
