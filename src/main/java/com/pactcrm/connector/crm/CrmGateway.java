package com.pactcrm.connector.crm;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The port every CRM adapter (amoCRM, Bitrix24) implements for the CRM-agnostic use-cases. Methods
 * throw {@link com.pactcrm.connector.sync.resilience.OutboundCallException} for failures that hit the
 * whole call; per-entry failures come back as {@link DeliveryResult.Failed}.
 */
public interface CrmGateway {

    CrmKind crm();

    /** How many timeline entries one call carries (amoCRM notes: 50; Bitrix24 batch: 50). */
    int batchSize(CommandKind kind);

    /**
     * Writes timeline entries; an entry with an {@code existingEntryId} is edited in place when the
     * CRM allows it. {@link DeliveryResult.Delivered#remoteId()} is the CRM's entry id.
     */
    List<DeliveryResult> writeTimeline(Installation installation, List<TimelineEntry> entries);

    /**
     * Entries with the same endpoint share one call, whatever their kind: the relay fills batches by it.
     * One endpoint by default (Bitrix24 carries any timeline write as a command of one {@code batch}).
     */
    default String timelineEndpoint(Installation installation, TimelineEntry entry) {
        return "timeline";
    }

    /**
     * How long until the CRM's rate limit lets this installation's next call go (zero: now). The relay fills a
     * call's batch at the moment it can be sent, so what queues meanwhile rides along instead of waiting for a
     * call of its own.
     */
    default Duration nextCallIn(Installation installation) {
        return Duration.ZERO;
    }

    /**
     * The entity a card shows, with the phones of its contacts (a lead's or deal's contacts; a
     * contact's own); empty when the CRM does not know it.
     */
    Optional<CrmEntity> entity(Installation installation, String entityType, String entityId);

    /** Finds the contact by phone, or creates contact and lead/deal in the mapped pipeline and stage. */
    CrmEntityRef findOrCreateClient(Installation installation, CrmPayloads.NewClientPayload client);

    /** The account's active users, for the admin's user mapping; empty where the adapter cannot list them. */
    default List<CrmUser> users(Installation installation) {
        return List.of();
    }

    /**
     * Read only: the contact a phone (digits) belongs to, without creating anything (the settings' dry run).
     * Empty also where the adapter cannot search.
     */
    default Optional<CrmEntityRef> findClientByPhone(Installation installation, String phone) {
        return Optional.empty();
    }

    /**
     * Opens a task on the entity for its responsible, due at {@code task.dueAt()}; returns the CRM's task id. Adapters
     * that cannot make tasks answer empty and the command is done.
     */
    default Optional<String> openTask(Installation installation, CrmPayloads.TaskPayload task) {
        return Optional.empty();
    }

    /** Completes the task the connector opened; completing a completed task again changes nothing. */
    default void closeTask(Installation installation, CrmPayloads.TaskPayload task, String crmTaskId) {
    }

    /**
     * The pipelines (amoCRM) or lead statuses and deal categories (Bitrix24) a new client's lead or deal can start in,
     * with their stages, for the settings' pickers; empty where the adapter cannot list them.
     */
    default List<CrmPipeline> pipelines(Installation installation) {
        return List.of();
    }
}
