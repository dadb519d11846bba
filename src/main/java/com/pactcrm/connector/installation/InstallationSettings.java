package com.pactcrm.connector.installation;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The admin's toggles for one installation, stored as JSON in {@code installation.settings}.
 * Missing keys take the defaults a new installation starts with.
 *
 * @param statuses           message statuses in the CRM timeline
 * @param history            incoming and operator messages as timeline entries
 * @param conversationStates archived / blocked / unanswered notes
 * @param comments           CRM notes people write become the Pact client-card comment
 * @param autoCreateClients  an unknown phone's first message finds or creates the CRM contact and a lead/deal;
 *                           absent: off (installations from before issue 15), new installations store it on
 *                           ({@link #NEW_INSTALLATION})
 * @param responsibleFrom    which entity's responsible user leads: {@code lead} or {@code contact}
 * @param newClientStages    per Pact provider (or {@code default}), the pipeline and stage a new client's lead
 *                           or deal is created in; none: the CRM's default pipeline
 * @param newClientResponsible who a new client's lead/deal is given to: {@code contactOwner} (the found contact's
 *                           responsible; the default), {@code roundRobin} over {@code roundRobinUsers}, or
 *                           {@code pactAssignee} (the CRM user mapped to the Pact conversation's assignee)
 * @param roundRobinUsers    CRM user ids taken in turn by {@code roundRobin}
 * @param unansweredTasks    an unanswered conversation becomes a CRM task for the responsible; absent: off, new
 *                           installations store it on
 * @param unansweredTaskMinutes the task's due time, minutes after Pact marked the conversation unanswered (60)
 * @param firstRunDone       false: a new installation whose admin has not been through the settings' first-run step
 *                           yet; absent (installations from before issue 15) or true: no first-run step
 * @param language           the installation's language: pages without a CRM language, timeline entries, tasks
 *                           (pt, the default for this market; en, ru, es)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InstallationSettings(
        Boolean statuses,
        Boolean history,
        Boolean conversationStates,
        Boolean comments,
        Boolean autoCreateClients,
        String responsibleFrom,
        Map<String, Stage> newClientStages,
        String newClientResponsible,
        List<String> roundRobinUsers,
        Boolean unansweredTasks,
        Integer unansweredTaskMinutes,
        Boolean firstRunDone,
        String language) {

    /** What {@code installation.settings} starts as when an account or portal is installed for the first time. */
    public static final String NEW_INSTALLATION = "{\"autoCreateClients\":true,\"unansweredTasks\":true,\"firstRunDone\":false}";
    /** The languages the connector speaks; pt is the default for this market. */
    public static final List<String> LANGUAGES = List.of("pt", "en", "ru", "es");
    public static final List<String> RESPONSIBLE_RULES = List.of("contactOwner", "roundRobin", "pactAssignee");

    /**
     * A pipeline (amoCRM pipeline, Bitrix24 deal category) and a stage (amoCRM status, Bitrix24 stage) in it.
     *
     * @param entity  Bitrix24 only: {@code deal} (the default) or {@code lead}
     * @param stageId Bitrix24 only: the stage's string id ({@code C2:NEW}, a lead's {@code NEW}); amoCRM:
     *                {@code unsorted} puts the lead in the pipeline's "Incoming" stage (statusId is then unused)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Stage(Long pipelineId, Long statusId, String entity, String stageId) {

        public Stage(Long pipelineId, Long statusId) {
            this(pipelineId, statusId, null, null);
        }

        public boolean lead() {
            return "lead".equals(entity);
        }

        public boolean unsorted() {
            return "unsorted".equals(stageId);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static InstallationSettings of(String json) {
        if (json == null || json.isBlank()) {
            return new InstallationSettings(null, null, null, null, null, null, null, null, null, null, null, null, null);
        }
        try {
            return JSON.readValue(json, InstallationSettings.class);
        } catch (IOException e) {
            throw new IllegalStateException("installation.settings is not valid JSON", e);
        }
    }

    public boolean statusesOn() {
        return statuses == null || statuses;
    }

    public boolean historyOn() {
        return history != null && history;
    }

    public boolean conversationStatesOn() {
        return conversationStates == null || conversationStates;
    }

    public boolean commentsOn() {
        return comments == null || comments;
    }

    /** {@code lead} (the default: leads and deals) or {@code contact}. */
    public String responsibleFrom() {
        return "contact".equals(responsibleFrom) ? "contact" : "lead";
    }

    /** Where a new client from this provider lands; empty: the CRM's default. */
    public Optional<Stage> newClientStage(String provider) {
        if (newClientStages == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(provider == null ? null : newClientStages.get(provider))
                .or(() -> Optional.ofNullable(newClientStages.get("default")));
    }

    public boolean autoCreateClientsOn() {
        return autoCreateClients != null && autoCreateClients;
    }

    /** {@code contactOwner} unless the admin chose another rule. */
    public String newClientResponsible() {
        return newClientResponsible != null && RESPONSIBLE_RULES.contains(newClientResponsible) ? newClientResponsible
                : "contactOwner";
    }

    public List<String> roundRobinUsers() {
        return roundRobinUsers == null ? List.of() : roundRobinUsers;
    }

    public boolean unansweredTasksOn() {
        return unansweredTasks != null && unansweredTasks;
    }

    public Duration unansweredTaskDue() {
        return Duration.ofMinutes(unansweredTaskMinutes == null || unansweredTaskMinutes <= 0 ? 60 : unansweredTaskMinutes);
    }

    /** The settings page opens with the first-run step (new installations until the admin saves it). */
    public boolean firstRunPending() {
        return Boolean.FALSE.equals(firstRunDone);
    }

    public String language() {
        return language != null && LANGUAGES.contains(language) ? language : LANGUAGES.get(0);
    }
}
