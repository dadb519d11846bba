package com.pactcrm.connector.chat;

import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Who a new client's lead or deal goes to, by the admin's rule ({@link InstallationSettings#newClientResponsible()}),
 * decided when the first message is processed so a retried find-or-create keeps the same user:
 * <ul>
 *   <li>{@code roundRobin}: the chosen users in turn, counted per installation in the database (every replica and
 *       dispatcher thread shares one count; the row lock orders them);</li>
 *   <li>{@code pactAssignee}: the CRM user mapped to the Pact operator the conversation is assigned to, when Pact
 *       names one;</li>
 *   <li>{@code contactOwner}: nobody here; the CRM adapter gives the lead to the found contact's responsible.</li>
 * </ul>
 * Null leaves the CRM's default (the token's user).
 */
@Singleton
public class NewClientResponsible {

    private final NewClientTurnRepository turns;
    private final UserMappingRepository users;

    public NewClientResponsible(NewClientTurnRepository turns, UserMappingRepository users) {
        this.turns = turns;
        this.users = users;
    }

    /** Runs inside the dispatcher's transaction. */
    public String choose(long installationId, InstallationSettings settings, ConversationSnapshot conversation) {
        switch (settings.newClientResponsible()) {
            case "roundRobin" -> {
                List<String> chosen = settings.roundRobinUsers();
                if (chosen.isEmpty()) {
                    return null;
                }
                turns.take(installationId);
                return chosen.get((int) ((turns.turns(installationId) - 1) % chosen.size()));
            }
            case "pactAssignee" -> {
                if (conversation.assigneeId() == null) {
                    return null;
                }
                return users.findByInstallation(installationId).stream()
                        .filter(u -> conversation.assigneeId().equals(u.pactUserId()))
                        .map(UserMapping::crmUserId).findFirst().orElse(null);
            }
            default -> {
                return null;
            }
        }
    }
}
