package com.pactcrm.connector.chat;

import com.pactcrm.connector.crm.CrmPayloads.TaskPayload;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Pact marked a linked conversation unanswered: each linked entity gets one CRM task for its responsible, due after the
 * admin's delay ({@link InstallationSettings#unansweredTaskDue()}); answered again: the connector's open tasks of the
 * conversation are completed. A {@code crm_task} row per task keeps it to one open task per conversation and entity,
 * however often Pact repeats the state, and carries the CRM's task id from the open command to the close command.
 * Runs inside the dispatcher's transaction.
 */
@Singleton
public class UnansweredTasks {

    /**
     * A task's outbox commands are keyed by one of these and the {@code crm_task} id: the retention job keeps the row
     * while one of them is unfinished, since delivering it reads the row.
     */
    public static final String OPEN_COMMAND = "task-open:";
    public static final String CLOSE_COMMAND = "task-close:";

    private final CrmTaskRepository tasks;
    private final Outbox outbox;
    private final Clock clock;

    public UnansweredTasks(CrmTaskRepository tasks, Outbox outbox, Clock clock) {
        this.tasks = tasks;
        this.outbox = outbox;
        this.clock = clock;
    }

    /** @return what was done, for the journal's outcome ("" when nothing) */
    String apply(Installation installation, List<ConversationLink> links, long conversationId, String repliedBefore,
                 String repliedNow, long eventId) {
        if (Objects.equals(repliedBefore, repliedNow)) {
            return "";
        }
        InstallationSettings settings = InstallationSettings.of(installation.settings());
        String clientName = links.get(0).senderName();
        if ("unreplied".equals(repliedNow)) {
            if (!settings.unansweredTasksOn()) {
                return "";
            }
            Instant due = clock.instant().plus(settings.unansweredTaskDue());
            int opened = 0;
            for (ConversationLink link : links) {
                if (tasks.open(installation.id(), conversationId, link.crmEntityType(), link.crmEntityId(), due) == 1) {
                    CrmTask task = tasks.findOpen(installation.id(), conversationId, link.crmEntityType(), link.crmEntityId())
                            .orElseThrow();
                    outbox.enqueue(installation.id(), CommandKind.CRM_TASK_OPEN, OPEN_COMMAND + task.id(), null,
                            new TaskPayload(task.id(), conversationId, link.crmEntityType(), link.crmEntityId(), due,
                                    clientName), eventId, null);
                    opened++;
                }
            }
            return opened == 0 ? "; task already open" : "; " + opened + " task(s) opened";
        }
        // Answered (or any state other than unanswered): the tasks opened for it are done, whatever the toggle says now.
        List<CrmTask> open = tasks.lockOpen(installation.id(), conversationId);
        for (CrmTask task : open) {
            tasks.close(task.id(), clock.instant());
            outbox.enqueue(installation.id(), CommandKind.CRM_TASK_CLOSE, CLOSE_COMMAND + task.id(), null,
                    new TaskPayload(task.id(), conversationId, task.crmEntityType(), task.crmEntityId(), task.dueAt(),
                            clientName), eventId, null);
        }
        return open.isEmpty() ? "" : "; " + open.size() + " task(s) completed";
    }
}
