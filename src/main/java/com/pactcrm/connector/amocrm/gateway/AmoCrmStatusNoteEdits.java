package com.pactcrm.connector.amocrm.gateway;

import com.pactcrm.connector.installation.InstallationHealthRepository;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a message's status note is edited in place or a new note is added per status. Kommo says
 * "10 note types can be edited" and lists {@code service_message} among the types its notes API
 * writes (https://developers.kommo.com/reference/notes, /reference/notes-types), so the default is to
 * edit; but which ten is not published (amocrm.md §7.3 q6). If an account refuses our edits
 * {@value #REFUSALS_BEFORE_APPENDING} times in a row, its statuses are appended from then on (in this
 * process) and its health says so; {@code connector.amocrm.status-notes=append} appends from the start.
 */
@Singleton
class AmoCrmStatusNoteEdits {

    static final int REFUSALS_BEFORE_APPENDING = 3;
    static final String HEALTH_COMPONENT = "CRM_STATUS_NOTES";
    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmStatusNoteEdits.class);

    private final boolean edit;
    private final InstallationHealthRepository health;
    private final Map<Long, Integer> refusalsInARow = new ConcurrentHashMap<>();

    AmoCrmStatusNoteEdits(@Value("${connector.amocrm.status-notes:edit}") String mode,
                          InstallationHealthRepository health) {
        if (!"edit".equals(mode) && !"append".equals(mode)) {
            throw new IllegalStateException("connector.amocrm.status-notes must be 'edit' or 'append', not '" + mode + "'");
        }
        this.edit = "edit".equals(mode);
        this.health = health;
    }

    boolean editing(long installationId) {
        return edit && refusalsInARow.getOrDefault(installationId, 0) < REFUSALS_BEFORE_APPENDING;
    }

    void accepted(long installationId) {
        refusalsInARow.remove(installationId);
    }

    void refused(long installationId, String reason) {
        int refusals = refusalsInARow.merge(installationId, 1, Integer::sum);
        LOG.warn("event=amocrm_note_edit_refused installationId={} refusalsInARow={} reason=\"{}\"", installationId,
                refusals, reason);
        if (refusals == REFUSALS_BEFORE_APPENDING) {
            health.record(installationId, HEALTH_COMPONENT, "APPENDING",
                    "amoCRM refused to edit status notes; each status is now a new note");
        }
    }
}
