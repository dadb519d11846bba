package com.pactcrm.connector.ops.retention;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * How long finished sync rows are kept (README "Retention"). Ages count from a row's arrival or creation unless said.
 *
 * @param doneEvents         journal events processed (DONE)
 * @param parkedEvents       journal events given up on (PARKED): kept longer, an admin may still retry them
 * @param deliveredCommands  outbox commands delivered or replaced by a newer one (DONE, SUPERSEDED)
 * @param deadCommands       dead letters: kept longer, an admin may still retry them
 * @param syncLog            the admin's journal lines: outlive the raw events they describe
 * @param unlinkedMessages   message links of conversations linked to no CRM entity (a linked conversation's are kept)
 * @param cardAttachments    files uploaded from the card's reply box (counted from the upload): only a reply not yet
 *                           sent names one, so this is how long a staged file can still be sent
 * @param closedTasks        unanswered-client tasks the connector closed (counted from the close)
 * @param batchSize          rows per DELETE: one short statement, a few milliseconds of row locks
 * @param pause              between two DELETEs, so the webhook and relay writes are never queued behind a long run
 */
@ConfigurationProperties("connector.retention")
public record RetentionConfiguration(
        @Bindable(defaultValue = "14d") Duration doneEvents,
        @Bindable(defaultValue = "90d") Duration parkedEvents,
        @Bindable(defaultValue = "14d") Duration deliveredCommands,
        @Bindable(defaultValue = "90d") Duration deadCommands,
        @Bindable(defaultValue = "30d") Duration syncLog,
        @Bindable(defaultValue = "14d") Duration unlinkedMessages,
        @Bindable(defaultValue = "7d") Duration cardAttachments,
        @Bindable(defaultValue = "30d") Duration closedTasks,
        @Bindable(defaultValue = "500") int batchSize,
        @Bindable(defaultValue = "20ms") Duration pause) {
}
