package com.pactcrm.connector.installation;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
 * @param autoCreateClients  an unknown phone's first message finds or creates the CRM contact
 * @param responsibleFrom    which entity's responsible user leads: {@code lead} or {@code contact}
 * @param newClientStages    per Pact provider (or {@code default}), the pipeline and stage a new client's lead
 *                           or deal is created in; none: the CRM's default pipeline
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InstallationSettings(
        Boolean statuses,
        Boolean history,
        Boolean conversationStates,
        Boolean comments,
        Boolean autoCreateClients,
        String responsibleFrom,
        Map<String, Stage> newClientStages) {

    /** A pipeline (amoCRM pipeline, Bitrix24 category) and a stage (amoCRM status, Bitrix24 stage) in it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Stage(Long pipelineId, Long statusId) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static InstallationSettings of(String json) {
        if (json == null || json.isBlank()) {
            return new InstallationSettings(null, null, null, null, null, null, null);
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
}
