package com.pactcrm.connector.crm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.chat.CrmTask;
import com.pactcrm.connector.chat.CrmTaskRepository;
import com.pactcrm.connector.chat.MessageLink;
import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.crm.CrmPayloads.ConversationStatePayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageHistoryPayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.crm.CrmPayloads.NewClientPayload;
import com.pactcrm.connector.crm.CrmPayloads.TaskPayload;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import com.pactcrm.connector.sync.outbox.OutboxCommand;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.sync.outbox.OutboxDeliverer;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Delivers CRM-bound commands through the installation's {@link CrmGateway}, and remembers what the
 * CRM created: the timeline entry of each message (so its next status edits it), and the entity a
 * new client's conversation is linked to.
 */
@Singleton
class CrmOutboxDeliverer implements OutboxDeliverer {

    /** Commands that each take a call (or several) of their own, never batched. */
    private static final Set<CommandKind> SINGLE = EnumSet.of(CommandKind.CRM_FIND_OR_CREATE_CLIENT,
            CommandKind.CRM_TASK_OPEN, CommandKind.CRM_TASK_CLOSE);
    /** How many of a new client's first messages go into the new lead's timeline. */
    private static final int TRIGGERING_MESSAGES = 20;

    private final Map<CrmKind, CrmGateway> gateways = new EnumMap<>(CrmKind.class);
    private final MessageLinkRepository messages;
    private final ConversationLinkRepository conversations;
    private final ObjectMapper json;
    private final Outbox outbox;
    private final CrmTaskRepository tasks;

    CrmOutboxDeliverer(List<CrmGateway> gateways, MessageLinkRepository messages,
                       ConversationLinkRepository conversations, ObjectMapper json, Outbox outbox,
                       CrmTaskRepository tasks) {
        gateways.forEach(g -> this.gateways.put(g.crm(), g));
        this.messages = messages;
        this.conversations = conversations;
        this.json = json;
        this.outbox = outbox;
        this.tasks = tasks;
    }

    @Override
    public Set<CommandKind> kinds() {
        return EnumSet.of(CommandKind.CRM_MESSAGE_STATUS, CommandKind.CRM_MESSAGE_HISTORY,
                CommandKind.CRM_CONVERSATION_STATE, CommandKind.CRM_FIND_OR_CREATE_CLIENT, CommandKind.CRM_TASK_OPEN,
                CommandKind.CRM_TASK_CLOSE);
    }

    @Override
    public int batchSize(CommandKind kind, Installation installation) {
        CrmGateway gateway = gateways.get(installation.crm());
        return gateway == null || SINGLE.contains(kind) ? 1 : gateway.batchSize(kind);
    }

    @Override
    public List<String> endpoints(Installation installation, List<OutboxCommand> commands) {
        CrmGateway gateway = gateways.get(installation.crm());
        Map<Long, String> existing = existingEntries(installation, commands);
        String language = language(installation);
        return commands.stream().map(c -> gateway == null || SINGLE.contains(c.kind())
                ? c.kind().name() : gateway.timelineEndpoint(installation, entryOf(c, existing, language))).toList();
    }

    @Override
    public Duration nextCallIn(Installation installation) {
        CrmGateway gateway = gateways.get(installation.crm());
        return gateway == null ? Duration.ZERO : gateway.nextCallIn(installation);
    }

    @Override
    public List<DeliveryResult> deliver(Installation installation, List<OutboxCommand> batch) {
        CrmGateway gateway = gateways.get(installation.crm());
        if (gateway == null) {
            throw new OutboundCallException("no gateway for " + installation.crm() + " yet", Disposition.PERMANENT,
                    0, null, null, null, null);
        }
        if (batch.get(0).kind() == CommandKind.CRM_FIND_OR_CREATE_CLIENT) {
            return batch.stream().map(c -> findOrCreate(gateway, installation, c)).toList();
        }
        if (batch.get(0).kind() == CommandKind.CRM_TASK_OPEN || batch.get(0).kind() == CommandKind.CRM_TASK_CLOSE) {
            return batch.stream().map(c -> task(gateway, installation, c)).toList();
        }
        Map<Long, String> existing = existingEntries(installation, batch);
        List<TimelineEntry> entries = new ArrayList<>(batch.size());
        String language = language(installation);
        for (OutboxCommand c : batch) {
            entries.add(entryOf(c, existing, language));
        }
        List<DeliveryResult> results = gateway.writeTimeline(installation, entries);
        for (int i = 0; i < batch.size() && i < results.size(); i++) {
            if (batch.get(i).kind() == CommandKind.CRM_MESSAGE_STATUS
                    && results.get(i) instanceof DeliveryResult.Delivered d && d.remoteId() != null) {
                messages.setCrmEntry(installation.id(), entries.get(i).status().messageId(), d.remoteId());
            }
        }
        return results;
    }

    private static String language(Installation installation) {
        return InstallationSettings.of(installation.settings()).language();
    }

    private DeliveryResult findOrCreate(CrmGateway gateway, Installation installation, OutboxCommand c) {
        NewClientPayload client = c.payloadAs(json, NewClientPayload.class);
        try {
            CrmEntityRef ref = gateway.findOrCreateClient(installation, client);
            conversations.link(installation.id(), client.conversationId(), ref.type(), ref.id(), client.provider(),
                    client.publicId(), client.name());
            int written = ref.created() ? writeTriggeringMessages(installation, client, ref) : 0;
            return DeliveryResult.delivered(ref.type() + ":" + ref.id(),
                    "conversation " + client.conversationId() + " linked to " + (ref.created() ? "new " : "")
                            + ref.type() + " " + ref.id() + (written > 0 ? "; " + written + " message(s) queued for its timeline" : ""));
        } catch (OutboundCallException e) {
            return DeliveryResult.failed(e);
        }
    }

    /**
     * Opens or completes an unanswered conversation's task. The {@code crm_task} row decides: a task whose conversation
     * was answered before it was made is not made; one answered while it was being made (the close found no CRM id yet)
     * is completed right after; a close whose task was never made has nothing to do.
     */
    private DeliveryResult task(CrmGateway gateway, Installation installation, OutboxCommand c) {
        TaskPayload payload = c.payloadAs(json, TaskPayload.class);
        try {
            CrmTask row = tasks.find(payload.taskId()).orElse(null);
            if (row == null) {
                return DeliveryResult.delivered(null, "task " + payload.taskId() + " no longer exists");
            }
            if (c.kind() == CommandKind.CRM_TASK_CLOSE) {
                if (row.crmTaskId() == null) {
                    return DeliveryResult.delivered(null, "answered before a task was made");
                }
                gateway.closeTask(installation, payload, row.crmTaskId());
                return DeliveryResult.delivered(row.crmTaskId(), "task " + row.crmTaskId() + " completed");
            }
            if (row.crmTaskId() != null) {
                return DeliveryResult.delivered(row.crmTaskId(), "task " + row.crmTaskId() + " already made");
            }
            if (!"OPEN".equals(row.state())) {
                return DeliveryResult.delivered(null, "answered before the task was made; none made");
            }
            Optional<String> made = gateway.openTask(installation, payload);
            if (made.isEmpty()) {
                return DeliveryResult.delivered(null, installation.crm() + " makes no tasks");
            }
            tasks.setCrmTaskId(row.id(), made.get());
            if (tasks.find(row.id()).map(t -> !"OPEN".equals(t.state())).orElse(false)) {
                gateway.closeTask(installation, payload, made.get());
                return DeliveryResult.delivered(made.get(), "task " + made.get() + " made and completed (answered meanwhile)");
            }
            return DeliveryResult.delivered(made.get(), "task " + made.get() + " on " + payload.entityType() + " "
                    + payload.entityId() + " due " + payload.dueAt());
        } catch (OutboundCallException e) {
            return DeliveryResult.failed(e);
        }
    }

    /**
     * The client's messages that made the connector create the lead or deal (the first one, and any that came while it
     * was being created), queued as its first timeline entries whether or not history is on: a new lead should say why
     * it exists. Their idempotency keys are the history's own, so a message history would copy anyway is written once.
     */
    private int writeTriggeringMessages(Installation installation, NewClientPayload client, CrmEntityRef ref) {
        List<MessageLink> known = new ArrayList<>(messages.latestInConversation(installation.id(), client.conversationId(),
                TRIGGERING_MESSAGES));
        Collections.reverse(known);
        int queued = 0;
        for (MessageLink m : known) {
            if (m.income() && outbox.enqueue(installation.id(), CommandKind.CRM_MESSAGE_HISTORY,
                    "history:" + m.pactMessageId() + ":" + ref.type() + ":" + ref.id(), null,
                    new MessageHistoryPayload(m.pactMessageId(), client.conversationId(), ref.type(), ref.id(), true,
                            client.name(), m.textPreview(), m.pactCreatedAt()), null, m.pactCreatedAt())) {
                queued++;
            }
        }
        return queued;
    }

    /**
     * The timeline entry each status command's message already has in the CRM (its next status edits it), by
     * message id: one query for the whole claim or batch, not one per command.
     */
    private Map<Long, String> existingEntries(Installation installation, List<OutboxCommand> commands) {
        List<Long> messageIds = commands.stream().filter(c -> c.kind() == CommandKind.CRM_MESSAGE_STATUS)
                .map(c -> c.payloadAs(json, MessageStatusPayload.class).messageId()).distinct().toList();
        if (messageIds.isEmpty()) {
            return Map.of();
        }
        Map<Long, String> entries = new HashMap<>();
        messages.findAll(installation.id(), messageIds).stream().filter(l -> l.crmEntryId() != null)
                .forEach(l -> entries.put(l.pactMessageId(), l.crmEntryId()));
        return entries;
    }

    private TimelineEntry entryOf(OutboxCommand c, Map<Long, String> existing, String language) {
        return switch (c.kind()) {
            case CRM_MESSAGE_STATUS -> {
                MessageStatusPayload p = c.payloadAs(json, MessageStatusPayload.class);
                yield new TimelineEntry(p.entityType(), p.entityId(), existing.get(p.messageId()), p, null, null,
                        c.ambiguous(), language);
            }
            case CRM_MESSAGE_HISTORY -> {
                MessageHistoryPayload p = c.payloadAs(json, MessageHistoryPayload.class);
                yield new TimelineEntry(p.entityType(), p.entityId(), null, null, p, null, c.ambiguous(), language);
            }
            case CRM_CONVERSATION_STATE -> {
                ConversationStatePayload p = c.payloadAs(json, ConversationStatePayload.class);
                yield new TimelineEntry(p.entityType(), p.entityId(), null, null, null, p, c.ambiguous(), language);
            }
            default -> throw new IllegalArgumentException("not a timeline command: " + c.kind());
        };
    }

}
